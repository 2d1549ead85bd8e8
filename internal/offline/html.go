package offline

import (
	"bytes"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// localURLs maps each URL of cdnFiles to the URL its copy has under prefix,
// the path Assets is mounted at; a dropped file maps to "".
func localURLs(prefix string) map[string]string {
	urls := make(map[string]string, len(cdnFiles))
	for cdn, file := range cdnFiles {
		if file != "" {
			file = prefix + "/" + file
		}
		urls[cdn] = file
	}
	return urls
}

// rewriteHTML returns page with each src or href attribute whose value is a
// key of urls set to its value, or, where that is "", without the element.
// Everything else is copied byte for byte; a page naming none of the URLs
// is returned as is.
func rewriteHTML(page []byte, urls map[string]string) []byte {
	if !mentionsAny(page, urls) {
		return page
	}
	var out bytes.Buffer
	out.Grow(len(page))
	z := html.NewTokenizer(bytes.NewReader(page))
	skipTo := "" // the end tag of an element being dropped
	for {
		tt := z.Next()
		switch {
		case tt == html.ErrorToken:
			// The end of the page, with anything the tokenizer left
			// unfinished, such as a tag cut short.
			out.Write(z.Raw())
			return out.Bytes()
		case skipTo != "":
			if name, _ := z.TagName(); tt == html.EndTagToken && string(name) == skipTo {
				skipTo = ""
			}
		case tt != html.StartTagToken && tt != html.SelfClosingTagToken:
			out.Write(z.Raw())
		default:
			// Token lower-cases the tag name in the tokenizer's buffer,
			// which Raw points into.
			raw := bytes.Clone(z.Raw())
			tok := z.Token()
			local, found := relink(&tok, urls)
			switch {
			case !found:
				out.Write(raw)
			case local != "":
				out.WriteString(tok.String())
			case tt == html.StartTagToken && !isVoid(tok.DataAtom):
				skipTo = tok.Data
			}
		}
	}
}

// relink points the first src or href of tok found in urls at its local
// URL and returns that.
func relink(tok *html.Token, urls map[string]string) (local string, found bool) {
	for i, a := range tok.Attr {
		if a.Namespace != "" || (a.Key != "src" && a.Key != "href") {
			continue
		}
		if local, found = urls[a.Val]; found {
			tok.Attr[i].Val = local
			return local, true
		}
	}
	return "", false
}

func mentionsAny(page []byte, urls map[string]string) bool {
	for cdn := range urls {
		if bytes.Contains(page, []byte(cdn)) {
			return true
		}
	}
	return false
}

// isVoid reports whether elements of tag a have no end tag, of those that
// can name a URL.
func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Link, atom.Img, atom.Source, atom.Embed, atom.Base, atom.Input, atom.Track, atom.Area:
		return true
	}
	return false
}
