package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// state is what a worker knows of one of its keys. Each worker owns its
// prefix, so what it last wrote is what it must read back.
type state struct {
	content content
	present bool
	// uncertain: the last write or delete failed, so either outcome is
	// possible and the key is not checked until the next one succeeds.
	uncertain bool
}

type worker struct {
	cfg            Config
	s3             *s3.Client
	c              *counter
	bucket, prefix string
	rnd            *rand.Rand
	known          map[string]*state
}

const keysPerWorker = 8

func (w *worker) run(ctx context.Context) {
	for ctx.Err() == nil {
		switch p := w.rnd.IntN(100); {
		case p < 35:
			w.put(ctx)
		case p < 65:
			w.get(ctx)
		case p < 80:
			w.list(ctx)
		case p < 92:
			w.multipart(ctx)
		default:
			w.delete(ctx)
		}
	}
}

func (w *worker) key() string { return fmt.Sprintf("%sk%d", w.prefix, w.rnd.IntN(keysPerWorker)) }

// failed records a failed operation, unless the run's end cut it short.
func (w *worker) failed(ctx context.Context, key string, err error) {
	if key != "" {
		w.known[key] = &state{uncertain: true}
	}
	if ctx.Err() != nil {
		return
	}
	w.c.fail(classify(err), fmt.Sprintf("%s: %v", key, err))
}

func (w *worker) put(ctx context.Context) {
	size := int64(w.rnd.IntN(16<<10 + 1))
	if w.rnd.IntN(10) < 3 {
		size = w.rnd.Int64N(w.cfg.MaxObject + 1)
	}
	key, body := w.key(), content{seed: w.rnd.Uint64(), size: size}
	_, err := w.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &w.bucket, Key: &key, Body: body.reader(), ContentLength: aws.Int64(size)})
	if err != nil {
		w.failed(ctx, key, err)
		return
	}
	w.known[key] = &state{content: body, present: true}
	w.c.written.Add(size)
	w.c.op("put")
}

func (w *worker) multipart(ctx context.Context) {
	key := fmt.Sprintf("%sm%d", w.prefix, w.rnd.IntN(2))
	ps := w.cfg.PartSize
	body := content{seed: w.rnd.Uint64(), size: 2*ps + w.rnd.Int64N(ps/2+1)}
	up, err := w.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &w.bucket, Key: &key})
	if err != nil {
		w.failed(ctx, key, err)
		return
	}
	var parts []types.CompletedPart
	for n, off := int32(1), int64(0); off < body.size; n, off = n+1, off+ps {
		size := min(ps, body.size-off)
		out, err := w.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: &w.bucket, Key: &key, UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: body.section(off, size), ContentLength: aws.Int64(size)})
		if err != nil {
			w.abort(key, up.UploadId)
			w.failed(ctx, key, err)
			return
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
	}
	_, err = w.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &w.bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		w.abort(key, up.UploadId)
		w.failed(ctx, key, err)
		return
	}
	w.known[key] = &state{content: body, present: true}
	w.c.written.Add(body.size)
	w.c.op("multipart")
}

// abort gives a failed upload back, best effort (the run may be over).
func (w *worker) abort(key string, id *string) {
	w.s3.AbortMultipartUpload(context.Background(), &s3.AbortMultipartUploadInput{Bucket: &w.bucket, Key: &key, UploadId: id})
}

// pick returns one of the keys whose state is certain, "" if none.
func (w *worker) pick() string {
	var keys []string
	for k, st := range w.known {
		if !st.uncertain {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return keys[w.rnd.IntN(len(keys))]
}

func (w *worker) get(ctx context.Context) {
	key := w.pick()
	if key == "" {
		return
	}
	st := w.known[key]
	out, err := w.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &w.bucket, Key: &key})
	switch {
	case err != nil && !st.present && isNotFound(err):
		w.c.op("get")
		return
	case err != nil:
		w.failed(ctx, "", err)
		return
	}
	defer out.Body.Close()
	if !st.present {
		w.c.fail("data", fmt.Sprintf("GET %s: a deleted object came back", key))
		return
	}
	at, err := st.content.mismatch(out.Body)
	switch {
	case err != nil:
		w.failed(ctx, "", err)
	case at >= 0:
		w.c.fail("data", fmt.Sprintf("GET %s: differs at byte %d of %d", key, at, st.content.size))
	default:
		w.c.read.Add(st.content.size)
		w.c.op("get")
	}
}

func (w *worker) list(ctx context.Context) {
	listed := map[string]int64{}
	p := s3.NewListObjectsV2Paginator(w.s3, &s3.ListObjectsV2Input{Bucket: &w.bucket, Prefix: &w.prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			w.failed(ctx, "", err)
			return
		}
		for _, o := range page.Contents {
			listed[*o.Key] = aws.ToInt64(o.Size)
		}
	}
	for k, st := range w.known {
		size, ok := listed[k]
		switch {
		case st.uncertain:
		case st.present && (!ok || size != st.content.size):
			w.c.fail("data", fmt.Sprintf("LIST %s: listed %v size %d, want size %d", k, ok, size, st.content.size))
		case !st.present && ok:
			w.c.fail("data", fmt.Sprintf("LIST %s: a deleted object is listed", k))
		}
	}
	w.c.op("list")
}

func (w *worker) delete(ctx context.Context) {
	key := w.key()
	if _, err := w.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &w.bucket, Key: &key}); err != nil {
		w.failed(ctx, key, err)
		return
	}
	w.known[key] = &state{}
	w.c.op("delete")
}
