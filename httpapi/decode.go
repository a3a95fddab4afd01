package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

const maxBody = 64 << 10

var (
	errTooLarge = errorf(http.StatusRequestEntityTooLarge, "request_too_large", "the request body is larger than 64 KiB")
	errNotJSON  = errorf(http.StatusUnsupportedMediaType, "invalid_request", "the body must be application/json")
	errNotForm  = errorf(http.StatusUnsupportedMediaType, "invalid_request", "the body must be application/x-www-form-urlencoded")
)

// readBody reads at most maxBody bytes; more is errTooLarge.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > maxBody {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "the body could not be read")
	}
	if len(b) > maxBody {
		return nil, errTooLarge
	}
	return b, nil
}

func mediaType(r *http.Request) (string, bool) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "", true
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return mt, false
	}
	return mt, true
}

// decodeJSON decodes a JSON object body into v strictly: size cap, JSON
// media type, valid UTF-8, no unknown fields, nothing after the object.
// With optional set, an empty body leaves v as it is.
func decodeJSON(r *http.Request, v any, optional bool) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if optional {
			return nil
		}
		return errorf(http.StatusBadRequest, "invalid_request", "a JSON body is required")
	}
	if mt, ok := mediaType(r); !ok || (mt != "application/json" && !(mt == "" && optional)) {
		return errNotJSON
	}
	if !utf8.Valid(b) || hasLoneSurrogate(b) {
		return errorf(http.StatusBadRequest, "invalid_request", "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "invalid_request", jsonMessage(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, "invalid_request", "unexpected data after the JSON object")
	}
	return nil
}

func jsonMessage(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return "the body must be a JSON object"
		}
		return fmt.Sprintf("field %q must be a %s", typeErr.Field, typeErr.Type.String())
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: unexpected end"
	default:
		return "malformed JSON"
	}
}

// decodeForm reads an application/x-www-form-urlencoded body (RFC 7662/7009).
func decodeForm(r *http.Request) (url.Values, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if mt, ok := mediaType(r); !ok || mt != "application/x-www-form-urlencoded" {
		return nil, errNotForm
	}
	if !utf8.Valid(b) {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "the body is not valid UTF-8")
	}
	v, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "malformed form body")
	}
	return v, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// hasLoneSurrogate finds \uD800–\uDFFF escapes that do not form a pair.
// encoding/json silently turns them into U+FFFD, so two different passwords
// or usernames would become the same string; they are refused instead.
func hasLoneSurrogate(b []byte) bool {
	pendingHigh := false
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			if pendingHigh {
				return true
			}
			continue
		}
		if b[i+1] != 'u' || i+5 >= len(b) {
			if pendingHigh {
				return true
			}
			i++ // skip the escaped character (it may be a backslash)
			continue
		}
		v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
		if err != nil {
			return false // malformed escape: the decoder reports it
		}
		switch {
		case v >= 0xD800 && v <= 0xDBFF:
			if pendingHigh {
				return true
			}
			pendingHigh = true
		case v >= 0xDC00 && v <= 0xDFFF:
			if !pendingHigh {
				return true
			}
			pendingHigh = false
		default:
			if pendingHigh {
				return true
			}
		}
		i += 5
	}
	return pendingHigh
}
