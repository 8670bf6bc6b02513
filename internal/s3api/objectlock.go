package s3api

import (
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// Object Lock at the edge: headers, XML and S3's syntax errors. The engine
// decides everything that depends on the bucket or the version. Sources are
// named in engine/objectlock.go.

const lockIntegrityMissing = "Missing required header for this request: Content-MD5 OR x-amz-checksum-*"

// isoMillis is the form S3 gives retain-until dates in, on the wire and in XML.
const isoMillis = "2006-01-02T15:04:05.000Z"

// lockInput parses a write's x-amz-object-lock-* headers, with S3's
// errors in the order S3 checks them (raw S3 bodies in versitygw#1733,
// #1736, #2028 and #1141).
func lockInput(h http.Header) (engine.LockInput, error) {
	var in engine.LockInput
	mode := h.Get("x-amz-object-lock-mode")
	raw := h.Get("x-amz-object-lock-retain-until-date")
	if mode != "" && mode != engine.Governance && mode != engine.Compliance {
		return in, s3err.InvalidArgumentf("x-amz-object-lock-mode", mode, "Unknown wormMode directive.")
	}
	if raw != "" {
		t, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			return in, s3err.InvalidArgumentf("x-amz-object-lock-retain-until-date", raw, "The retain until date must be provided in ISO 8601 format")
		}
		in.Until, in.UntilRaw = t, raw
	}
	if (mode == "") != (raw == "") {
		return in, s3err.Newf(s3err.InvalidArgument, "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	}
	in.Mode = mode
	switch hold := h.Get("x-amz-object-lock-legal-hold"); hold {
	case "", "ON", "OFF":
		in.LegalHold = hold
	default:
		return in, s3err.InvalidArgumentf("x-amz-object-lock-legal-hold", hold, "Legal Hold must be either of 'ON' or 'OFF'")
	}
	return in, nil
}

// lockedWriteAttrs is writeAttrs with the Object Lock headers.
func (q *request) lockedWriteAttrs() (engine.WriteAttrs, error) {
	a := q.writeAttrs()
	var err error
	a.Lock, err = lockInput(q.r.Header)
	return a, err
}

// bypassGovernance reads x-amz-bypass-governance-retention: sent at all,
// and whether it bypasses. "true" needs s3:BypassGovernanceRetention on the
// object as well (AWS docs, object-lock-managing); without it the request
// is AccessDenied, even for a version with no lock (re:Post test with a
// Deny on the action).
func (q *request) bypassGovernance() (sent, bypass bool, err error) {
	sent, bypass = q.bypassHeader()
	if bypass && !q.mayBypass(q.op.Key) {
		return true, false, s3err.New(s3err.AccessDenied)
	}
	return sent, bypass, nil
}

// bypassHeader reads x-amz-bypass-governance-retention: sent at all (S3
// refuses even "false" on a bucket without Object Lock), and "true".
func (q *request) bypassHeader() (sent, bypass bool) {
	v, sent := q.r.Header[http.CanonicalHeaderKey("x-amz-bypass-governance-retention")]
	return sent, sent && strings.EqualFold(strings.TrimSpace(v[0]), "true")
}

// mayBypass reports whether the caller has s3:BypassGovernanceRetention on
// key. It is an object action, so DeleteObjects asks it key by key: a
// policy granting it on bucket/* must cover every key of the request.
func (q *request) mayBypass(key string) bool {
	return !q.access.exists || q.allowed(q.access, []string{"s3:BypassGovernanceRetention"}, resourceARN(q.op.Bucket, key))
}

// setLockHeaders sends a version's Object Lock state on GET and HEAD, each
// part only to a caller who may read it: the retention with
// s3:GetObjectRetention, the legal hold with s3:GetObjectLegalHold (S3 API
// reference, HeadObject and GetObject: "This header is only returned if
// the requester has the … permission"). The owner has both unless a policy
// denies them.
func (q *request) setLockHeaders(hd http.Header, obj engine.Object) {
	may := func(action string) bool {
		return !q.access.exists || q.allowed(q.access, []string{action}, resourceARN(q.op.Bucket, q.op.Key))
	}
	if r := obj.Retention; r != nil && may("s3:GetObjectRetention") {
		hd.Set("x-amz-object-lock-mode", r.Mode)
		hd.Set("x-amz-object-lock-retain-until-date", r.Until.UTC().Format(isoMillis))
	}
	if obj.LegalHold != "" && may("s3:GetObjectLegalHold") {
		hd.Set("x-amz-object-lock-legal-hold", obj.LegalHold)
	}
}

type objectLockConfiguration struct {
	XMLName           xml.Name  `xml:"ObjectLockConfiguration"`
	NS                string    `xml:"xmlns,attr,omitempty"`
	ObjectLockEnabled string    `xml:"ObjectLockEnabled,omitempty"`
	Rule              *lockRule `xml:"Rule,omitempty"`
}

type lockRule struct {
	DefaultRetention *defaultRetentionXML `xml:"DefaultRetention,omitempty"`
}

type defaultRetentionXML struct {
	Mode  string `xml:"Mode,omitempty"`
	Days  *int   `xml:"Days,omitempty"`
	Years *int   `xml:"Years,omitempty"`
}

// putObjectLockConfiguration validates as S3 does (LocalStack
// test_put_object_lock_configuration_exc, recorded against AWS): anything
// but ObjectLockEnabled=Enabled, an empty Rule or DefaultRetention, a mode
// S3 does not name, neither or both of Days and Years are MalformedXML; a
// period that is not positive is InvalidArgument (raw S3 in versitygw#1738).
func (h *Handler) putObjectLockConfiguration(q *request) error {
	if err := q.requireBucket(); err != nil {
		return err
	}
	data, err := readIntegrityBody(q, 64<<10, lockIntegrityMissing)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return s3err.New(s3err.MissingRequestBody)
	}
	var cfg objectLockConfiguration
	if err := xml.Unmarshal(data, &cfg); err != nil || cfg.ObjectLockEnabled != "Enabled" {
		return s3err.New(s3err.MalformedXML)
	}
	rule, err := parseDefaultRetention(cfg.Rule)
	if err != nil {
		return err
	}
	if err := h.cfg.Engine.PutObjectLockConfiguration(q.ctx(), q.op.Bucket, rule); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func parseDefaultRetention(r *lockRule) (*engine.DefaultRetention, error) {
	if r == nil {
		return nil, nil
	}
	d := r.DefaultRetention
	if d == nil || (d.Mode != engine.Governance && d.Mode != engine.Compliance) || (d.Days == nil) == (d.Years == nil) {
		return nil, s3err.New(s3err.MalformedXML)
	}
	out := &engine.DefaultRetention{Mode: d.Mode}
	name, n := "Days", d.Days
	if d.Years != nil {
		name, n = "Years", d.Years
	}
	if *n <= 0 {
		return nil, s3err.InvalidArgumentf(name, "", "Default retention period must be a positive integer value.")
	}
	if d.Years != nil {
		out.Years = *n
	} else {
		out.Days = *n
	}
	return out, nil
}

func (h *Handler) getObjectLockConfiguration(q *request) error {
	rule, err := h.cfg.Engine.GetObjectLockConfiguration(q.ctx(), q.op.Bucket)
	if err != nil {
		return err
	}
	out := objectLockConfiguration{NS: s3NS, ObjectLockEnabled: "Enabled"}
	if rule != nil {
		d := &defaultRetentionXML{Mode: rule.Mode}
		if rule.Years > 0 {
			d.Years = &rule.Years
		} else {
			d.Days = &rule.Days
		}
		out.Rule = &lockRule{DefaultRetention: d}
	}
	writeXML(q.w, http.StatusOK, out)
	return nil
}

type retentionXML struct {
	XMLName         xml.Name `xml:"Retention"`
	NS              string   `xml:"xmlns,attr,omitempty"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

// putObjectRetention: an empty <Retention/> removes the retention; a mode
// without a date, or one S3 does not name, is MalformedXML (LocalStack
// test_s3_object_retention_exc and test_s3_object_retention).
func (h *Handler) putObjectRetention(q *request) error {
	versionID, data, err := q.lockRequest()
	if err != nil {
		return err
	}
	var x retentionXML
	if len(data) == 0 || xml.Unmarshal(data, &x) != nil {
		return s3err.New(s3err.MalformedXML)
	}
	in := engine.RetentionInput{Bucket: q.op.Bucket, Key: q.op.Key, VersionID: versionID, RawUntil: x.RetainUntilDate}
	switch {
	case x.Mode == "" && x.RetainUntilDate == "":
	case x.Mode != engine.Governance && x.Mode != engine.Compliance, x.RetainUntilDate == "":
		return s3err.New(s3err.MalformedXML)
	default:
		t, err := time.Parse(time.RFC3339Nano, x.RetainUntilDate)
		if err != nil {
			return s3err.New(s3err.MalformedXML)
		}
		in.Retention = &engine.Retention{Mode: x.Mode, Until: t.UTC()}
	}
	if _, in.Bypass, err = q.bypassGovernance(); err != nil {
		return err
	}
	obj, err := h.cfg.Engine.PutObjectRetention(q.ctx(), in)
	return h.lockReply(q, obj, err)
}

// lockRequest reads what PutObjectRetention and PutObjectLegalHold share:
// the version named and the body, which S3 requires Content-MD5 or a
// checksum of.
func (q *request) lockRequest() (versionID string, body []byte, err error) {
	if versionID, err = q.versionID(); err != nil {
		return "", nil, err
	}
	body, err = readIntegrityBody(q, 64<<10, lockIntegrityMissing)
	return versionID, body, err
}

// lockReply answers a PutObjectRetention or PutObjectLegalHold.
func (h *Handler) lockReply(q *request, obj engine.Object, err error) error {
	if err != nil {
		return q.hideMissingKey(err)
	}
	setVersionID(q.w.Header(), h.cfg.Engine.VersionHeader(q.ctx(), obj))
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getObjectRetention(q *request) error {
	obj, err := h.lockedObject(q)
	if err != nil {
		return err
	}
	if obj.Retention == nil {
		return s3err.New(s3err.NoSuchObjectLockConfiguration)
	}
	writeXML(q.w, http.StatusOK, retentionXML{NS: s3NS, Mode: obj.Retention.Mode, RetainUntilDate: obj.Retention.Until.UTC().Format(isoMillis)})
	return nil
}

type legalHoldXML struct {
	XMLName xml.Name `xml:"LegalHold"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status"`
}

func (h *Handler) putObjectLegalHold(q *request) error {
	versionID, data, err := q.lockRequest()
	if err != nil {
		return err
	}
	// The body is checked before the bucket (LocalStack
	// test_put_object_legal_hold_exc: an empty body on a bucket without
	// Object Lock is MalformedXML).
	var x legalHoldXML
	if len(data) == 0 || xml.Unmarshal(data, &x) != nil || (x.Status != "ON" && x.Status != "OFF") {
		return s3err.New(s3err.MalformedXML)
	}
	obj, err := h.cfg.Engine.PutObjectLegalHold(q.ctx(), q.op.Bucket, q.op.Key, versionID, x.Status)
	return h.lockReply(q, obj, err)
}

func (h *Handler) getObjectLegalHold(q *request) error {
	obj, err := h.lockedObject(q)
	if err != nil {
		return err
	}
	if obj.LegalHold == "" {
		return s3err.New(s3err.NoSuchObjectLockConfiguration)
	}
	writeXML(q.w, http.StatusOK, legalHoldXML{NS: s3NS, Status: obj.LegalHold})
	return nil
}

// lockedObject is the version a GetObjectRetention or GetObjectLegalHold names.
func (h *Handler) lockedObject(q *request) (engine.Object, error) {
	versionID, err := q.versionID()
	if err != nil {
		return engine.Object{}, err
	}
	obj, err := h.cfg.Engine.ObjectLock(q.ctx(), q.op.Bucket, q.op.Key, versionID)
	if err != nil {
		return engine.Object{}, q.hideMissingKey(err)
	}
	setVersionID(q.w.Header(), h.cfg.Engine.VersionHeader(q.ctx(), obj))
	return obj, nil
}
