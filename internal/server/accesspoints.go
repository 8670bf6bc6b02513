package server

import (
	"context"

	"github.com/tessera-s3/tessera/internal/admin"
	"github.com/tessera-s3/tessera/internal/engine"
)

// accessPointLister gives the admin API the engine's access points.
func accessPointLister(eng *engine.Engine) admin.AccessPointLister {
	return func(ctx context.Context, account string) ([]admin.AccessPointView, error) {
		var out []admin.AccessPointView
		after := ""
		for {
			aps, next, err := eng.ListAccessPoints(ctx, account, "", after, 1000)
			if err != nil {
				return nil, err
			}
			for _, ap := range aps {
				out = append(out, admin.AccessPointView{Name: ap.Name, Account: ap.Account, Bucket: ap.Bucket,
					Alias: ap.Alias, ARN: ap.ARN, Created: ap.Created, HasPolicy: ap.Policy != ""})
			}
			if next == "" {
				return out, nil
			}
			after = next
		}
	}
}
