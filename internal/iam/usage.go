package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tessera-s3/tessera/internal/meta"
)

// CountUsage records one request of an account (the requester, or the
// bucket owner when the owner pays). It only touches memory; Flush persists.
func (s *Service) CountUsage(accountID string, bytesIn, bytesOut int64) {
	if accountID == "" {
		return
	}
	s.addPending(accountID, Usage{Requests: 1, BytesIn: bytesIn, BytesOut: bytesOut})
}

func (s *Service) addPending(accountID string, d Usage) {
	s.usageMu.Lock()
	s.pending[accountID] = s.pending[accountID].plus(d)
	s.usageMu.Unlock()
}

func (u Usage) plus(d Usage) Usage {
	return Usage{Requests: u.Requests + d.Requests, BytesIn: u.BytesIn + d.BytesIn, BytesOut: u.BytesOut + d.BytesOut}
}

// Flush adds the usage counted since the last flush to the stored totals.
// Each account's delta is added by one atomic UpdateDoc, so gateways
// flushing the same account at once all count. A delta that could not be
// added goes back to pending, for the next flush. Usage is accounting, not
// data: a crash may lose the last interval.
func (s *Service) Flush(ctx context.Context) error {
	s.usageMu.Lock()
	pending := s.pending
	s.pending = map[string]Usage{}
	s.usageMu.Unlock()
	var errs []error
	for id, d := range pending {
		if err := s.addUsage(ctx, id, d); err != nil {
			s.addPending(id, d)
			errs = append(errs, fmt.Errorf("iam: flush usage of %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) addUsage(ctx context.Context, id string, d Usage) error {
	return s.docs.UpdateDoc(ctx, kindUsage, id, func(doc []byte, found bool) ([]byte, error) {
		var u Usage
		if found {
			if err := json.Unmarshal(doc, &u); err != nil {
				return nil, err
			}
		}
		return json.Marshal(u.plus(d))
	})
}

func (s *Service) storedUsage(ctx context.Context, id string) (Usage, error) {
	var u Usage
	err := s.readJSON(ctx, kindUsage, id, &u)
	if errors.Is(err, meta.ErrNotFound) {
		return Usage{}, nil
	}
	return u, err
}

// Usage returns an account's totals, including what this gateway has not
// flushed yet (other gateways' unflushed counts show after their flush).
func (s *Service) Usage(ctx context.Context, accountID string) (Usage, error) {
	u, err := s.storedUsage(ctx, accountID)
	if err != nil {
		return u, err
	}
	s.usageMu.Lock()
	d := s.pending[accountID]
	s.usageMu.Unlock()
	return u.plus(d), nil
}
