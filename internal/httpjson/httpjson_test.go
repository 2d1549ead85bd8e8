package httpjson

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name       string
		write      func(w http.ResponseWriter)
		wantStatus int
		wantBody   string
	}{
		{
			name:       "value",
			write:      func(w http.ResponseWriter) { WriteJSON(w, http.StatusAccepted, map[string]int{"n": 1}) },
			wantStatus: http.StatusAccepted,
			wantBody:   `{"n":1}` + "\n",
		},
		{
			name:       "error",
			write:      func(w http.ResponseWriter) { WriteError(w, http.StatusNotFound, "no restaurant %q", "r-1") },
			wantStatus: http.StatusNotFound,
			wantBody:   `{"error":"no restaurant \"r-1\""}` + "\n",
		},
		{
			name:       "not encodable",
			write:      func(w http.ResponseWriter) { WriteJSON(w, http.StatusOK, func() {}) },
			wantStatus: http.StatusInternalServerError,
			wantBody:   internalError,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.write(rec)
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}
