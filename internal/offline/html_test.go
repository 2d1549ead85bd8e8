package offline

import (
	"testing"
)

func TestRewriteHTML(t *testing.T) {
	urls := map[string]string{
		"https://cdn.example/a.js":  "/v/a@1/a.min.js",
		"//cdn.example/b.css":       "/v/b@2/b.min.css",
		"https://fonts.example/css": "",
		"https://cdn.example/gone":  "",
	}
	tests := []struct {
		name, page, want string
	}{
		{
			name: "script src, other attributes kept",
			page: `<script src="https://cdn.example/a.js" integrity="sha384-x" crossorigin="anonymous"></script>`,
			want: `<script src="/v/a@1/a.min.js" integrity="sha384-x" crossorigin="anonymous"></script>`,
		},
		{
			name: "single quotes, upper case, protocol-relative href",
			page: "<LINK REL='stylesheet' HREF='//cdn.example/b.css'>\n<p>x</p>",
			want: `<link rel="stylesheet" href="/v/b@2/b.min.css">` + "\n<p>x</p>",
		},
		{
			name: "dropped link",
			page: "<head>\n  <link href='https://fonts.example/css' rel='stylesheet'>\n  <title>t</title>",
			want: "<head>\n  \n  <title>t</title>",
		},
		{
			name: "dropped script with its content",
			page: `<p>a</p><script src="https://cdn.example/gone">var x = "</p>";</script><p>b</p>`,
			want: `<p>a</p><p>b</p>`,
		},
		{
			name: "URL outside attributes untouched",
			page: `<a href="/x">https://cdn.example/a.js</a><script>load("https://cdn.example/a.js")</script>` +
				`<img alt="https://cdn.example/a.js" src="https://cdn.example/a.js">`,
			want: `<a href="/x">https://cdn.example/a.js</a><script>load("https://cdn.example/a.js")</script>` +
				`<img alt="https://cdn.example/a.js" src="/v/a@1/a.min.js">`,
		},
		{
			name: "unknown URL untouched",
			page: `<script src="https://cdn.example/a.js?v=2"></script>`,
			want: `<script src="https://cdn.example/a.js?v=2"></script>`,
		},
		{
			name: "everything else byte for byte, to a tag cut short",
			page: "<!DOCTYPE html>\r\n<!-- c --><P CLASS=x  id='y'>&amp; &#65;\x00</P>" +
				`<script src="https://cdn.example/a.js"></script><a hr`,
			want: "<!DOCTYPE html>\r\n<!-- c --><P CLASS=x  id='y'>&amp; &#65;\x00</P>" +
				`<script src="/v/a@1/a.min.js"></script><a hr`,
		},
		{
			name: "no CDN URL",
			page: "<p CLASS=x>unchanged</P><a hr",
			want: "<p CLASS=x>unchanged</P><a hr",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(rewriteHTML([]byte(tt.page), urls)); got != tt.want {
				t.Errorf("rewriteHTML(%q)\n got %q\nwant %q", tt.page, got, tt.want)
			}
		})
	}
}

func TestLocalURLs(t *testing.T) {
	urls := localURLs("/assets/vendor")
	if got, want := urls["https://d3js.org/d3.v4.min.js"], "/assets/vendor/d3@4.13.0/build/d3.min.js"; got != want {
		t.Errorf("d3 = %q, want %q", got, want)
	}
	if got, ok := urls["https://fonts.googleapis.com/css?family=Open+Sans+Condensed:300|Open+Sans"]; !ok || got != "" {
		t.Errorf("google font = %q, %t; want dropped", got, ok)
	}
}
