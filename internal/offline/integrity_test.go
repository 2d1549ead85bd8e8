package offline

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/lovoo/goka/web/templates"
	"golang.org/x/net/html"
)

// gokaTemplates are all of goka v1.1.16's web templates, by the names its
// loader takes.
var gokaTemplates = []string{
	"web/templates/actions/index.go.html",
	"web/templates/common/base.go.html",
	"web/templates/common/head.go.html",
	"web/templates/common/menu.go.html",
	"web/templates/index/index.go.html",
	"web/templates/monitor/details_processor.go.html",
	"web/templates/monitor/details_view.go.html",
	"web/templates/monitor/index.go.html",
	"web/templates/monitor/menu.go.html",
	"web/templates/query/index.go.html",
}

// link is a src or href of a tag, with the tag's integrity attribute.
type link struct{ url, integrity string }

// links returns the src and href values of page's tags.
func links(page string) []link {
	var ls []link
	z := html.NewTokenizer(strings.NewReader(page))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		var l link
		for _, a := range z.Token().Attr {
			switch a.Key {
			case "src", "href":
				l.url = a.Val
			case "integrity":
				l.integrity = a.Val
			}
		}
		if l.url != "" {
			ls = append(ls, l)
		}
	}
	return ls
}

func isExternal(url string) bool {
	return strings.HasPrefix(url, "//") || strings.Contains(url, "://")
}

// TestTableCoversTemplates checks cdnFiles against goka's templates: every
// external URL in them is in the table, and every URL of the table in them.
func TestTableCoversTemplates(t *testing.T) {
	unused := map[string]bool{}
	for cdn := range cdnFiles {
		unused[cdn] = true
	}
	for _, name := range gokaTemplates {
		page, err := templates.DefaultLoader.LoadTemplates(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range links(page) {
			if !isExternal(l.url) {
				continue
			}
			if _, ok := cdnFiles[l.url]; !ok {
				t.Errorf("%s loads %s, not in cdnFiles", name, l.url)
			}
			delete(unused, l.url)
		}
	}
	for cdn := range unused {
		t.Errorf("cdnFiles has %s, which no template loads", cdn)
	}
}

// sri returns the Subresource Integrity hash of b with the algorithm of
// want ("sha256-…", "sha384-…" or "sha512-…").
func sri(t *testing.T, want string, b []byte) string {
	t.Helper()
	alg, _, _ := strings.Cut(want, "-")
	var sum []byte
	switch alg {
	case "sha256":
		s := sha256.Sum256(b)
		sum = s[:]
	case "sha384":
		s := sha512.Sum384(b)
		sum = s[:]
	case "sha512":
		s := sha512.Sum512(b)
		sum = s[:]
	default:
		t.Fatalf("integrity %q: unknown algorithm", want)
	}
	return alg + "-" + base64.StdEncoding.EncodeToString(sum)
}

// TestTemplateIntegrity checks the vendored files against the SRI hashes
// goka's template gives for their CDN copies: the same bytes, so the same
// versions. The integrity attributes are kept by Rewrite, so browsers
// check the local copies too.
func TestTemplateIntegrity(t *testing.T) {
	head, err := templates.DefaultLoader.LoadTemplates("web/templates/common/head.go.html")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, l := range links(head) {
		if l.integrity == "" {
			continue
		}
		file := cdnFiles[l.url]
		if got := sri(t, l.integrity, vendoredFile(t, file)); got != l.integrity {
			t.Errorf("%s: %s, goka's template has %s for %s", file, got, l.integrity, l.url)
		}
		checked++
	}
	if checked != 3 { // bootstrap's css, theme and js
		t.Errorf("checked %d integrity hashes, want 3", checked)
	}
}

// TestPublishedIntegrity checks the files goka's template gives no hash for
// against hashes published elsewhere.
func TestPublishedIntegrity(t *testing.T) {
	tests := []struct {
		file, integrity, source string
	}{
		{
			file:      "jquery@1.11.0/dist/cdn/jquery-1.11.0.min.js",
			integrity: "sha256-spTpc4lvj4dOkKjrGokIrHkJgNA0xMS98Pw9N7ir9oI=",
			source:    "code.jquery.com and cdnjs, for jquery-1.11.0.min.js",
		},
		{
			file:      "d3@4.13.0/build/d3.min.js",
			integrity: "sha512-RJJ1NNC88QhN7dwpCY8rm/6OxI+YdQP48DrLGe/eSAd+n+s1PXwQkkpzzAgoJe4cZFW2GALQoxox61gSY2yQfg==",
			source:    "cdnjs, for d3/4.13.0/d3.min.js",
		},
		{
			file:      "d3@4.13.0/build/d3.min.js",
			integrity: "sha256-hYXbQJK4qdJiAeDVjjQ9G0D6A0xLnDQ4eJI9dkm7Fpk=",
			source:    "cdnjs; pages load d3js.org/d3.v4.min.js with it too",
		},
		{
			// cdnjs publishes none this old: the hash of npm's file, whose
			// tarball vendor.sh checks against the registry's sha512.
			file:      "lodash@4.17.1/lodash.min.js",
			integrity: "sha384-mbiZzH60M/vTwNg4wYBCH20PjCJTOIc3gQjE+tM2bWPZ+o36QprGvcLNZuM1hjge",
			source:    "npm lodash@4.17.1",
		},
	}
	for _, tt := range tests {
		if got := sri(t, tt.integrity, vendoredFile(t, tt.file)); got != tt.integrity {
			t.Errorf("%s: %s, %s publishes %s", tt.file, got, tt.source, tt.integrity)
		}
	}
}
