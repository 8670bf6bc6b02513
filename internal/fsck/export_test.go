package fsck

// SetPage sets how many records a listing call returns, until the returned
// func restores it.
func SetPage(n int) (restore func()) {
	old := page
	page = n
	return func() { page = old }
}
