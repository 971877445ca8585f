// Module browser holds trustjob's browser test: it opens the demo's html
// reports in headless Chromium (chromedp) and checks them as a reader would.
// A module of its own so the product binary never links chromedp; .ci/run
// installs Debian's chromium and runs it.
module github.com/trustjob/trustjob/test/browser

go 1.26.0

require (
	github.com/chromedp/cdproto v0.160.1
	github.com/chromedp/chromedp v0.23.1
)

require github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
