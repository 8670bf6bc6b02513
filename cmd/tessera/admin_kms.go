package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/tessera-s3/tessera/internal/admin"
)

// kmsCommand runs `tessera admin kms key …`; args follow "kms key".
func kmsCommand(ctx context.Context, c *admin.Client, args []string, tw *tabwriter.Writer, usage error) error {
	if len(args) == 0 {
		return usage
	}
	sub, rest := args[0], args[1:]
	if sub == "policy" {
		if len(rest) == 0 {
			return usage
		}
		sub, rest = "policy "+rest[0], rest[1:]
	}
	fs := flag.NewFlagSet("tessera admin kms key "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported with the admin usage
	account := fs.String("account", "", "account ID")
	description := fs.String("description", "", "key description")
	if err := fs.Parse(rest); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return fmt.Errorf("usage: %v", err)
	}
	pos := fs.Args()
	// Each command takes exactly its positional arguments, and only the
	// flags it documents.
	want := map[string]int{"create": 0, "list": 0, "get": 1, "disable": 1, "enable": 1, "rotate": 1, "policy put": 2, "policy get": 1}
	n, ok := want[sub]
	if !ok || len(pos) != n || (*description != "" && sub != "create") || (*account != "" && sub != "create" && sub != "list") {
		return usage
	}
	switch sub {
	case "create":
		var k admin.KeyView
		if err := c.Do(ctx, "POST", "kms/keys", map[string]string{"account_id": *account, "description": *description}, &k); err != nil {
			return err
		}
		fmt.Fprintf(tw, "Key ID:\t%s\nARN:\t%s\nAccount ID:\t%s\n", k.ID, k.ARN, k.AccountID)
		return nil
	case "list":
		path := "kms/keys"
		if *account != "" {
			path += "?account=" + url.QueryEscape(*account)
		}
		var keys []admin.KeyView
		if err := c.Do(ctx, "GET", path, nil, &keys); err != nil {
			return err
		}
		fmt.Fprintln(tw, "KEY ID\tACCOUNT ID\tSTATUS\tVERSION\tRESEAL\tMANAGER\tALIAS\tCREATED\tDESCRIPTION")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.AccountID, status(k.Enabled), k.Version, resealState(k), k.Manager, dash(k.Alias),
				k.Created.Format("2006-01-02T15:04:05Z"), oneLine(k.Description))
		}
		return nil
	case "get":
		var k admin.KeyView
		if err := c.Do(ctx, "GET", "kms/keys/"+url.PathEscape(pos[0]), nil, &k); err != nil {
			return err
		}
		policy := "none (only the key's account may use it)"
		if k.HasPolicy {
			policy = "yes (kms key policy get " + k.ID + ")"
		}
		fmt.Fprintf(tw, "Key ID:\t%s\nARN:\t%s\nAccount ID:\t%s\nAlias:\t%s\nManager:\t%s\nStatus:\t%s\nKey policy:\t%s\nCreated:\t%s\nDescription:\t%s\n",
			k.ID, k.ARN, k.AccountID, dash(k.Alias), k.Manager, status(k.Enabled), policy, k.Created.Format("2006-01-02T15:04:05Z"), oneLine(k.Description))
		printRotation(tw, k)
		return nil
	case "rotate":
		var k admin.KeyView
		if err := c.Do(ctx, "POST", "kms/keys/"+url.PathEscape(pos[0])+"/rotate", nil, &k); err != nil {
			return err
		}
		fmt.Fprintf(tw, "Key ID:\t%s\nKey version:\t%d\nRe-sealed:\t%d data keys\n", k.ID, k.Version, k.Resealed)
		return nil
	case "disable", "enable":
		return c.Do(ctx, "POST", "kms/keys/"+url.PathEscape(pos[0])+"/"+sub, nil, nil)
	case "policy put":
		doc, err := os.ReadFile(pos[1])
		if err != nil {
			return err
		}
		return c.DoBody(ctx, "PUT", "kms/keys/"+url.PathEscape(pos[0])+"/policy", doc, nil)
	case "policy get":
		var p admin.KeyPolicyView
		if err := c.Do(ctx, "GET", "kms/keys/"+url.PathEscape(pos[0])+"/policy", nil, &p); err != nil {
			return err
		}
		if len(p.Policy) == 0 || string(p.Policy) == "null" {
			// Nothing on stdout that could be mistaken for a document.
			return fmt.Errorf("key %s has no key policy: only its own account may use it", p.KeyID)
		}
		out, err := json.MarshalIndent(p.Policy, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\n", out)
		return nil
	}
	return usage
}

// resealState is the RESEAL column: "-" for a key never rotated, "done"
// when every data key is under the newest version, "pending" otherwise.
func resealState(k admin.KeyView) string {
	switch {
	case k.Version == 0:
		return "-"
	case k.ResealPending:
		return "pending"
	}
	return "done"
}

// printRotation adds a key's rotation state to `kms key get`.
func printRotation(tw io.Writer, k admin.KeyView) {
	fmt.Fprintf(tw, "Key version:\t%d\n", k.Version)
	if k.RotatedAt == nil {
		fmt.Fprintf(tw, "Rotated:\tnever\n")
		return
	}
	fmt.Fprintf(tw, "Rotated:\t%s\n", k.RotatedAt.Format("2006-01-02T15:04:05Z"))
	if k.ResealPending {
		fmt.Fprintf(tw, "Re-seal:\tpending (data keys may remain under versions older than %d; rotate again to finish)\n", k.Version)
		return
	}
	fmt.Fprintf(tw, "Re-seal:\tdone (%d data keys re-sealed under version %d)\n", k.Resealed, k.ResealedVersion)
}

func status(enabled bool) string {
	if enabled {
		return "enabled"
	}
	return "disabled"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a free-text description on its table row.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
