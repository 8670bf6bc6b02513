package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/tessera-s3/tessera/internal/admin"
	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

const adminUsage = `Usage: tessera admin [flags] COMMAND [ARGS]

Manages accounts, access keys and KMS keys through the admin API of a
running server, signed with the root account's credentials.

Commands:
  user add NAME            create an account (prints its ID and first key pair)
  user list                list accounts
  user remove ACCOUNT_ID   remove an account that owns no buckets, with its keys
  key create ACCOUNT_ID    create another key pair for an account
  key list ACCOUNT_ID      list an account's keys (without secrets)
  key disable ACCESS_KEY   disable a key (requests signed with it are refused)
  key enable ACCESS_KEY    enable a disabled key
  key delete ACCESS_KEY    delete a key
  usage ACCOUNT_ID         requests and bytes charged to an account
  accesspoint list [ACCOUNT_ID]
                           list access points (all accounts unless one is named);
                           accounts manage theirs with S3 Control (aws s3control)

KMS keys (for SSE-KMS; their key material derives from the server's root key):
  kms key create [--account ACCOUNT_ID] [--description TEXT]
                           create a key (default: the root account's); prints its ID and ARN
  kms key list [--account ACCOUNT_ID]
                           list keys (all accounts unless --account)
  kms key get KEY_ID       show a key
  kms key disable KEY_ID   disable a key (objects under it can be neither written nor read)
  kms key enable KEY_ID    enable a disabled key
  kms key rotate KEY_ID    give a key a new version and re-seal its data keys under it
                           (object bytes are not rewritten; answers when all are done)
  kms key policy put KEY_ID FILE
                           set a key's policy (IAM policy JSON with kms: actions)
  kms key policy get KEY_ID
                           print a key's policy

Flags:
`

func runAdmin(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tessera admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", envOr("TESSERA_ENDPOINT", "http://127.0.0.1:9000"), "server URL [$TESSERA_ENDPOINT]")
	accessKey := fs.String("access-key", envOr("TESSERA_ROOT_USER", ""), "root access key ID [$TESSERA_ROOT_USER] (default: read from <data>/credentials)")
	// The secret comes from the environment after parsing, so that --help
	// never prints it as a default.
	secretKey := fs.String("secret-key", "", "root secret access key [$TESSERA_ROOT_PASSWORD]")
	dataDir := fs.String("data", envOr("TESSERA_DATA", "./data"), "data directory whose generated credentials to use when no key is given [$TESSERA_DATA]")
	region := fs.String("region", envOr("TESSERA_REGION", "us-east-1"), "region to sign for [$TESSERA_REGION]")
	fs.Usage = func() {
		fmt.Fprint(stderr, adminUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *secretKey == "" {
		*secretKey = os.Getenv("TESSERA_ROOT_PASSWORD")
	}
	if *accessKey == "" {
		var err error
		if *accessKey, *secretKey, err = generatedRoot(*dataDir); err != nil {
			fmt.Fprintln(stderr, "tessera admin:", err)
			return 2
		}
	}
	c := &admin.Client{Endpoint: *endpoint, Region: *region, Cred: sigv4.Credential{AccessKeyID: *accessKey, SecretAccessKey: *secretKey}}
	if err := adminCommand(context.Background(), c, fs.Args(), stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return 0
		}
		fmt.Fprintln(stderr, "tessera admin:", err)
		if strings.HasPrefix(err.Error(), "usage") {
			fs.Usage()
			return 2
		}
		return 1
	}
	return 0
}

// generatedRoot reads the root credentials a server generated on its first
// start from <data>/credentials.
func generatedRoot(dataDir string) (accessKey, secretKey string, err error) {
	var c struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
	}
	data, err := os.ReadFile(filepath.Join(dataDir, "credentials"))
	if err != nil || json.Unmarshal(data, &c) != nil {
		return "", "", errors.New("no root credentials: set --access-key/--secret-key (or TESSERA_ROOT_USER/TESSERA_ROOT_PASSWORD), or --data pointing at the server's data directory")
	}
	return c.AccessKeyID, c.SecretAccessKey, nil
}

func adminCommand(ctx context.Context, c *admin.Client, args []string, out io.Writer) error {
	usage := fmt.Errorf("usage: unknown or incomplete command %q", strings.Join(args, " "))
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	switch arg(0) + " " + arg(1) {
	case "user add":
		if arg(2) == "" {
			return usage
		}
		var res admin.CreatedAccount
		if err := c.Do(ctx, "POST", "accounts", map[string]string{"name": arg(2)}, &res); err != nil {
			return err
		}
		fmt.Fprintf(tw, "Account ID:\t%s\nCanonical ID:\t%s\nName:\t%s\nAccess key ID:\t%s\nSecret access key:\t%s\n",
			res.Account.ID, res.Account.CanonicalID, res.Account.Name, res.Key.AccessKeyID, res.Key.SecretAccessKey)
		return nil
	case "user list":
		var res []admin.AccountView
		if err := c.Do(ctx, "GET", "accounts", nil, &res); err != nil {
			return err
		}
		fmt.Fprintln(tw, "ACCOUNT ID\tNAME\tCANONICAL ID\tCREATED")
		for _, a := range res {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.ID, a.Name, a.CanonicalID, a.Created.Format("2006-01-02T15:04:05Z"))
		}
		return nil
	case "user remove":
		if arg(2) == "" {
			return usage
		}
		return c.Do(ctx, "DELETE", "accounts/"+arg(2), nil, nil)
	case "key create":
		if arg(2) == "" {
			return usage
		}
		var k iam.Key
		if err := c.Do(ctx, "POST", "accounts/"+arg(2)+"/keys", nil, &k); err != nil {
			return err
		}
		fmt.Fprintf(tw, "Access key ID:\t%s\nSecret access key:\t%s\n", k.AccessKeyID, k.SecretAccessKey)
		return nil
	case "key list":
		if arg(2) == "" {
			return usage
		}
		var keys []iam.Key
		if err := c.Do(ctx, "GET", "accounts/"+arg(2)+"/keys", nil, &keys); err != nil {
			return err
		}
		fmt.Fprintln(tw, "ACCESS KEY ID\tSTATUS\tCREATED")
		for _, k := range keys {
			status := "enabled"
			if k.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", k.AccessKeyID, status, k.Created.Format("2006-01-02T15:04:05Z"))
		}
		return nil
	case "key disable", "key enable":
		if arg(2) == "" {
			return usage
		}
		return c.Do(ctx, "POST", "keys/"+arg(2)+"/"+arg(1), nil, nil)
	case "key delete":
		if arg(2) == "" {
			return usage
		}
		return c.Do(ctx, "DELETE", "keys/"+arg(2), nil, nil)
	case "accesspoint list":
		return listAccessPoints(ctx, c, arg(2), tw)
	}
	if arg(0) == "kms" && arg(1) == "key" {
		return kmsCommand(ctx, c, args[2:], tw, usage)
	}
	if arg(0) == "usage" && arg(1) != "" {
		var u iam.Usage
		if err := c.Do(ctx, "GET", "accounts/"+arg(1)+"/usage", nil, &u); err != nil {
			return err
		}
		fmt.Fprintf(tw, "Requests:\t%d\nBytes in:\t%d\nBytes out:\t%d\n", u.Requests, u.BytesIn, u.BytesOut)
		return nil
	}
	return usage
}

// listAccessPoints prints the access points of an account, or of all.
func listAccessPoints(ctx context.Context, c *admin.Client, account string, tw io.Writer) error {
	path := "accesspoints"
	if account != "" {
		path += "?account=" + url.QueryEscape(account)
	}
	var aps []admin.AccessPointView
	if err := c.Do(ctx, "GET", path, nil, &aps); err != nil {
		return err
	}
	fmt.Fprintln(tw, "ACCOUNT ID\tNAME\tBUCKET\tALIAS\tPOLICY\tCREATED")
	for _, ap := range aps {
		pol := "-"
		if ap.HasPolicy {
			pol = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ap.Account, ap.Name, ap.Bucket, ap.Alias, pol, ap.Created.Format("2006-01-02T15:04:05Z"))
	}
	return nil
}
