package cos

// SetListPage makes listings page every n keys (tests).
func SetListPage(c *Client, n int64) { c.listPage = n }
