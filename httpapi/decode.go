package httpapi

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/credential"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
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

// mediaType is the request's one Content-Type ("" when there is none).
// ok is false for an unparsable type or a charset other than UTF-8; two
// Content-Type fields are refused outright, since a proxy and this server
// might each believe a different one.
func mediaType(r *http.Request) (mt string, ok bool, err error) {
	vs := r.Header.Values("Content-Type")
	switch len(vs) {
	case 0:
		return "", true, nil
	case 1:
	default:
		return "", false, errorf(http.StatusBadRequest, "invalid_request", "more than one Content-Type header")
	}
	mt, params, perr := mime.ParseMediaType(vs[0])
	if perr != nil {
		return "", false, nil
	}
	if cs, found := params["charset"]; found && !strings.EqualFold(cs, "utf-8") {
		return mt, false, nil
	}
	return mt, true, nil
}

// decodeOptions are JSON v2's semantics with unknown members refused:
// names match exactly (a case variant of a field is an unknown member),
// duplicate names, invalid UTF-8 and lone surrogate escapes are errors,
// so every body has one spelling and one meaning.
var decodeOptions = json.JoinOptions(
	json.RejectUnknownMembers(true),
	json.MatchCaseInsensitiveNames(false),
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
)

// decodeJSON decodes a JSON object body into v strictly: size cap, one JSON
// media type, valid UTF-8, no duplicate, case-variant or unknown members,
// nothing after the object. With optional set, an empty body leaves v as
// it is.
func decodeJSON(r *http.Request, v any, optional bool) error {
	mt, mtOK, err := mediaType(r)
	if err != nil {
		return err
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	body := bytes.TrimLeft(b, " \t\r\n")
	if len(body) == 0 {
		if optional {
			return nil
		}
		return errorf(http.StatusBadRequest, "invalid_request", "a JSON body is required")
	}
	// A body without a Content-Type is taken as JSON only from clients
	// that send no cookies: a browser request must say what it sends (a
	// cross-site form cannot send application/json without a preflight).
	lenient := optional && len(r.Header.Values("Cookie")) == 0
	if !mtOK || (mt != "application/json" && !(mt == "" && lenient)) {
		return errNotJSON
	}
	if !utf8.Valid(b) {
		return errorf(http.StatusBadRequest, "invalid_request", "the body is not valid UTF-8")
	}
	if body[0] != '{' {
		return errorf(http.StatusBadRequest, "invalid_request", "the body must be a JSON object")
	}
	dec := jsontext.NewDecoder(bytes.NewReader(b), decodeOptions)
	if err := json.UnmarshalDecode(dec, v, decodeOptions); err != nil {
		return errorf(http.StatusBadRequest, "invalid_request", jsonMessage(err))
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return errorf(http.StatusBadRequest, "invalid_request", "unexpected data after the JSON object")
	}
	return nil
}

// jsonMessage is a field-level message for a JSON v2 decoding error.
func jsonMessage(err error) string {
	var sem *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.Is(err, jsontext.ErrDuplicateName) && errors.As(err, &syn):
		return fmt.Sprintf("duplicate field %q", member(syn.JSONPointer))
	case errors.Is(err, json.ErrUnknownName) && errors.As(err, &sem):
		return fmt.Sprintf("unknown field %q", member(sem.JSONPointer))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: unexpected end"
	case errors.As(err, &syn):
		// syn.Err is not shown: it may quote the input, and the input may
		// be a password.
		if f := member(syn.JSONPointer); f != "" {
			return fmt.Sprintf("malformed JSON at byte %d, in field %q", syn.ByteOffset, f)
		}
		return fmt.Sprintf("malformed JSON at byte %d", syn.ByteOffset)
	case errors.As(err, &sem):
		if sem.JSONPointer == "" || sem.GoType == nil {
			return "the body must be a JSON object"
		}
		return fmt.Sprintf("field %q must be a %s", member(sem.JSONPointer), sem.GoType.String())
	default:
		return "malformed JSON"
	}
}

// member names the field a JSON pointer points at: "/roles/0" → "roles/0".
func member(p jsontext.Pointer) string {
	names := make([]string, 0, 2)
	for tok := range p.Tokens() {
		names = append(names, tok)
	}
	return strings.Join(names, "/")
}

// decodeForm reads an application/x-www-form-urlencoded body (RFC 7662/7009)
// with one value per parameter (credential.Form).
func decodeForm(r *http.Request) (url.Values, error) {
	mt, mtOK, err := mediaType(r)
	if err != nil {
		return nil, err
	}
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if !mtOK || mt != "application/x-www-form-urlencoded" {
		return nil, errNotForm
	}
	if !utf8.Valid(b) {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "the body is not valid UTF-8")
	}
	v, err := credential.Form(string(b))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "invalid_request",
			"malformed form body: "+strings.TrimPrefix(err.Error(), credential.ErrMalformed.Error()+": "))
	}
	return v, nil
}

// writeJSON writes an answer. Answers stay on encoding/json: decoding is
// where strictness matters, and its output (escaping, map key order, time
// formats) is what clients already parse.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		_ = stdjson.NewEncoder(w).Encode(v)
	}
}
