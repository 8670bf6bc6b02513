package engine

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// Access points are store-wide documents (meta's PutDoc family): one per
// access point, keyed "<account>/<name>" as S3 makes names unique per
// account (and region), and an alias index, alias → that key, since the
// alias is what a client may send in place of a bucket name.
const (
	kindAccessPoint      = "s3.accesspoint"
	kindAccessPointAlias = "s3.accesspoint-alias"
)

// AccessPointBlock is an access point's public access block. S3 Control
// turns every setting on unless CreateAccessPoint says otherwise, and the
// block cannot be changed after creation.
type AccessPointBlock struct {
	BlockPublicAcls       bool
	IgnorePublicAcls      bool
	BlockPublicPolicy     bool
	RestrictPublicBuckets bool
}

// AccessPoint is a named way into a bucket with its own policy.
type AccessPoint struct {
	Name    string
	Account string // the 12-digit ID of the owning account
	Bucket  string
	// BucketAccount owns the bucket (the same account, as Tessera
	// creates access points only on the caller's own buckets).
	BucketAccount string
	Alias         string
	ARN           string
	Created       time.Time
	Block         AccessPointBlock
	// Policy is the access point policy as stored ("" when none).
	Policy string `json:",omitempty"`
}

// accessPointName is S3 Control's rule for access point names: 3 to 50
// lower-case letters, digits and hyphens, starting and ending with a
// letter or digit (CreateAccessPoint and AWS::S3::AccessPoint Name pattern
// ^[a-z0-9]([a-z0-9\-]*[a-z0-9])?$, length 3-50).
var accessPointName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$`)

// ValidAccessPointName reports whether S3 Control accepts the name. S3
// also refuses names ending in "-s3alias", which it keeps for aliases.
func ValidAccessPointName(name string) bool {
	return accessPointName.MatchString(name) && !strings.HasSuffix(name, "-s3alias")
}

// AliasSuffix ends every access point alias; S3 reserves it, so a bucket
// name never ends with it.
const AliasSuffix = "-s3alias"

// newAlias makes an alias as S3 does: a prefix of the name, a random part
// and the "-s3alias" suffix, lower-case, at most 63 characters (the alias
// pattern of the S3 Control reference, ^[0-9a-z\-]{63}, is a maximum).
func newAlias(name string) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [34]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	prefix := name
	if n := 63 - len(b) - 1 - len(AliasSuffix); len(prefix) > n {
		prefix = strings.TrimRight(prefix[:n], "-")
	}
	return prefix + "-" + string(b[:]) + AliasSuffix
}

func accessPointID(account, name string) string { return account + "/" + name }

// errAPExists aborts the UpdateDoc that finds the name taken.
var errAPExists = errors.New("engine: access point exists")

// CreateAccessPoint stores a new access point on an existing bucket and
// returns it with its alias, ARN and creation date.
func (e *Engine) CreateAccessPoint(ctx context.Context, ap AccessPoint) (AccessPoint, error) {
	if _, err := e.HeadBucket(ctx, ap.Bucket); s3err.HasCode(err, s3err.NoSuchBucket) {
		// S3's error list (ErrorResponses, InvalidRequest).
		return ap, s3err.Newf(s3err.InvalidRequest, "An access point can be created only for an existing bucket.")
	} else if err != nil {
		return ap, err
	}
	// NAME-ACCOUNT.<domain> is the access point's host (its ARN, as the
	// SDKs send it): a bucket of that name would be reached there too.
	// S3 has no such collision (its access points have hosts of their
	// own), so the answer is Tessera's.
	if _, err := e.HeadBucket(ctx, ap.Name+"-"+ap.Account); err == nil {
		return ap, s3err.Newf(s3err.InvalidRequest, "A bucket named %s-%s exists; its name would be this access point's host name.", ap.Name, ap.Account)
	} else if !s3err.HasCode(err, s3err.NoSuchBucket) {
		return ap, err
	}
	ap.Alias = newAlias(ap.Name)
	ap.ARN = fmt.Sprintf("arn:aws:s3:%s:%s:accesspoint/%s", e.region, ap.Account, ap.Name)
	ap.Created = e.now().UTC().Truncate(time.Second)
	doc, err := json.Marshal(ap)
	if err != nil {
		return ap, fmt.Errorf("engine: encode access point: %w", err)
	}
	id := accessPointID(ap.Account, ap.Name)
	// The alias is indexed first: an index entry without its access point
	// leads nowhere (AccessPointByAlias checks), an access point without
	// its index could not be reached by alias.
	if err := e.meta.PutDoc(ctx, kindAccessPointAlias, ap.Alias, []byte(id)); err != nil {
		return ap, fmt.Errorf("engine: index access point alias: %w", err)
	}
	err = e.meta.UpdateDoc(ctx, kindAccessPoint, id, func(_ []byte, found bool) ([]byte, error) {
		if found {
			return nil, errAPExists
		}
		return doc, nil
	})
	if errors.Is(err, errAPExists) {
		_ = e.meta.DeleteDoc(ctx, kindAccessPointAlias, ap.Alias)
		return ap, s3err.New(s3err.AccessPointAlreadyOwnedByYou)
	}
	if err != nil {
		return ap, fmt.Errorf("engine: create access point: %w", err)
	}
	return ap, nil
}

// GetAccessPoint returns an account's access point, or NoSuchAccessPoint.
func (e *Engine) GetAccessPoint(ctx context.Context, account, name string) (AccessPoint, error) {
	var ap AccessPoint
	doc, err := e.meta.GetDoc(ctx, kindAccessPoint, accessPointID(account, name))
	if errors.Is(err, meta.ErrNotFound) {
		return ap, s3err.New(s3err.NoSuchAccessPoint).With("AccessPointName", name)
	}
	if err != nil {
		return ap, fmt.Errorf("engine: read access point: %w", err)
	}
	if err := json.Unmarshal(doc, &ap); err != nil {
		return ap, fmt.Errorf("engine: decode access point %s: %w", name, err)
	}
	return ap, nil
}

// AccessPointByAlias returns the access point an alias names, or
// NoSuchAccessPoint.
func (e *Engine) AccessPointByAlias(ctx context.Context, alias string) (AccessPoint, error) {
	id, err := e.meta.GetDoc(ctx, kindAccessPointAlias, alias)
	if errors.Is(err, meta.ErrNotFound) {
		return AccessPoint{}, s3err.New(s3err.NoSuchAccessPoint)
	}
	if err != nil {
		return AccessPoint{}, fmt.Errorf("engine: read access point alias: %w", err)
	}
	account, name, _ := strings.Cut(string(id), "/")
	ap, err := e.GetAccessPoint(ctx, account, name)
	if err == nil && ap.Alias != alias {
		// A stale index entry: the name was deleted and made again.
		return AccessPoint{}, s3err.New(s3err.NoSuchAccessPoint)
	}
	return ap, err
}

// ListAccessPoints returns up to limit of an account's access points
// (every account's when account is ""; those of one bucket when bucket is
// not ""), ascending by name (by account, then name, for every account),
// after the position after; next is the position to continue after ("" at
// the end): the name, or "<account>/<name>" for every account.
func (e *Engine) ListAccessPoints(ctx context.Context, account, bucket, after string, limit int) (aps []AccessPoint, next string, err error) {
	docs, err := e.meta.ListDocs(ctx, kindAccessPoint)
	if err != nil {
		return nil, "", fmt.Errorf("engine: list access points: %w", err)
	}
	pos := func(ap AccessPoint) string {
		if account == "" {
			return accessPointID(ap.Account, ap.Name)
		}
		return ap.Name
	}
	for _, d := range docs {
		var ap AccessPoint
		if err := json.Unmarshal(d.Data, &ap); err != nil {
			return nil, "", fmt.Errorf("engine: decode access point %s: %w", d.ID, err)
		}
		if account != "" && ap.Account != account || bucket != "" && ap.Bucket != bucket || pos(ap) <= after {
			continue
		}
		if len(aps) == limit {
			return aps, pos(aps[len(aps)-1]), nil
		}
		aps = append(aps, ap)
	}
	return aps, "", nil
}

// DeleteAccessPoint removes an access point and its alias; requests
// through it stop at once.
func (e *Engine) DeleteAccessPoint(ctx context.Context, account, name string) error {
	ap, err := e.GetAccessPoint(ctx, account, name)
	if err != nil {
		return err
	}
	if err := e.meta.DeleteDoc(ctx, kindAccessPoint, accessPointID(account, name)); err != nil {
		return fmt.Errorf("engine: delete access point: %w", err)
	}
	if err := e.meta.DeleteDoc(ctx, kindAccessPointAlias, ap.Alias); err != nil {
		return fmt.Errorf("engine: delete access point alias: %w", err)
	}
	return nil
}

// SetAccessPointPolicy stores (or with "" removes) an access point's
// policy; NoSuchAccessPoint if it is gone.
func (e *Engine) SetAccessPointPolicy(ctx context.Context, account, name, policy string) error {
	err := e.meta.UpdateDoc(ctx, kindAccessPoint, accessPointID(account, name), func(doc []byte, found bool) ([]byte, error) {
		if !found {
			return nil, s3err.New(s3err.NoSuchAccessPoint).With("AccessPointName", name)
		}
		var ap AccessPoint
		if err := json.Unmarshal(doc, &ap); err != nil {
			return nil, fmt.Errorf("engine: decode access point %s: %w", name, err)
		}
		ap.Policy = policy
		return json.Marshal(ap)
	})
	if _, ok := s3err.As(err); ok || err == nil {
		return err
	}
	return fmt.Errorf("engine: set access point policy: %w", err)
}
