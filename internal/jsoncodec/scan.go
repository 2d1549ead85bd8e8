package jsoncodec

import (
	"time"
)

// FastDecoder is implemented by a *T that decodes the common shape of its
// JSON itself: the exact bytes its AppendJSON writes for values of plain
// strings and UTC times. DecodeJSON reports false for any other input,
// possibly having filled part of the value; Codec then unmarshals into a
// new T, so both paths give the same value for every input.
type FastDecoder interface {
	DecodeJSON(data []byte) bool
}

// Scanner reads the JSON an AppendJSON method writes, token by expected
// token. It accepts only a strict subset of JSON whose meaning is
// unambiguous: the keys and punctuation given, in order, without spaces;
// strings of printable ASCII without escapes; integers without fraction,
// exponent or leading zeros; times as RFC 3339 UTC with 'Z'. Anything else
// fails it for good (OK reports false), and the caller falls back to
// Unmarshal.
type Scanner struct {
	data []byte
	// src is data as a string: the strings read are its substrings, one
	// allocation in all.
	src string
	i   int
	bad bool
}

// NewScanner returns a Scanner of data.
func NewScanner(data []byte) Scanner { return Scanner{data: data, src: string(data)} }

// OK reports whether everything read so far was as expected.
func (s *Scanner) OK() bool { return !s.bad }

// Done reports whether everything was as expected and all of data read.
func (s *Scanner) Done() bool { return !s.bad && s.i == len(s.data) }

// Fail marks what was read as not as expected.
func (s *Scanner) Fail() { s.bad = true }

// Lit reads lit.
func (s *Scanner) Lit(lit string) {
	if s.bad || len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		s.bad = true
		return
	}
	s.i += len(lit)
}

// Maybe reads lit if it comes next, and reports whether it did.
func (s *Scanner) Maybe(lit string) bool {
	if s.bad || len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// Peek reports whether the next byte is c.
func (s *Scanner) Peek(c byte) bool { return !s.bad && s.i < len(s.data) && s.data[s.i] == c }

// String reads a string.
func (s *Scanner) String() string {
	if s.bad || s.i >= len(s.src) || s.src[s.i] != '"' {
		s.bad = true
		return ""
	}
	start := s.i + 1
	for j := start; j < len(s.src); j++ {
		c := s.src[j]
		if c == '"' {
			s.i = j + 1
			return s.src[start:j]
		}
		if c < 0x20 || c >= 0x7f || c == '\\' {
			break
		}
	}
	s.bad = true
	return ""
}

// Int reads an integer.
func (s *Scanner) Int() int64 {
	if s.bad {
		return 0
	}
	j, neg := s.i, false
	if j < len(s.data) && s.data[j] == '-' {
		neg = true
		j++
	}
	start := j
	var n uint64
	for ; j < len(s.data) && s.data[j] >= '0' && s.data[j] <= '9'; j++ {
		if n > (1<<63)/10 { // may overflow: leave it to Unmarshal
			s.bad = true
			return 0
		}
		n = n*10 + uint64(s.data[j]-'0')
	}
	digits := j - start
	if digits == 0 || digits > 18 || (digits > 1 && s.data[start] == '0') ||
		(j < len(s.data) && (s.data[j] == '.' || s.data[j] == 'e' || s.data[j] == 'E')) {
		s.bad = true // 19 digits and more may overflow: leave them to Unmarshal
		return 0
	}
	s.i = j
	if neg {
		return -int64(n)
	}
	return int64(n)
}

// Time reads a time as AppendTime writes a UTC one:
// "2006-01-02T15:04:05[.fraction]Z".
func (s *Scanner) Time() time.Time {
	b := s.String()
	if s.bad {
		return time.Time{}
	}
	const pattern = "dddd-dd-ddTdd:dd:dd"
	ok := len(b) >= len(pattern)+1 && b[len(b)-1] == 'Z'
	for k := 0; ok && k < len(pattern); k++ {
		if pattern[k] == 'd' {
			ok = b[k] >= '0' && b[k] <= '9'
		} else {
			ok = b[k] == pattern[k]
		}
	}
	if ok && len(b) > len(pattern)+1 {
		frac := b[len(pattern) : len(b)-1]
		ok = len(frac) >= 2 && len(frac) <= 10 && frac[0] == '.'
		for k := 1; ok && k < len(frac); k++ {
			ok = frac[k] >= '0' && frac[k] <= '9'
		}
	}
	if !ok {
		s.bad = true
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, b)
	if err != nil {
		s.bad = true
		return time.Time{}
	}
	return t
}

// Bool reads true or false.
func (s *Scanner) Bool() bool {
	if s.Maybe("true") {
		return true
	}
	s.Lit("false")
	return false
}

// Int32 reads an integer that fits in an int32.
func (s *Scanner) Int32() int32 {
	n := s.Int()
	if n != int64(int32(n)) {
		s.bad = true
		return 0
	}
	return int32(n)
}
