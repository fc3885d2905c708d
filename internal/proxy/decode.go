package proxy

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/restreamkit/restreamkit/internal/validate"
)

// RuleNotValidated names a body the proxy forwarded but could not check for a reason other than
// its size: a content coding it does not decode (br, zstd, ...).
const RuleNotValidated validate.Rule = "not-validated"

// maxCodings bounds the content codings the proxy undoes to validate one body ("gzip, deflate" is
// two); a longer chain is forwarded and recorded as not validated.
const maxCodings = 4

// Why a body could not be decoded. errUnknownCoding and errTooManyCodings mean "not validated";
// errDecodedTooLarge means "too-large"; any other error is a broken body.
var (
	errUnknownCoding   = errors.New("an unknown content coding")
	errTooManyCodings  = errors.New("too many content codings")
	errDecodedTooLarge = errors.New("the decoded body is over the limit")
)

// decodeBounded undoes the content codings of a body (a Content-Encoding value: codings in the
// order they were applied) and returns at most limit bytes of decoded output. It stops reading the
// moment the output passes limit, so a small body that inflates to gigabytes (a compression bomb)
// costs the proxy limit bytes and no more. The body the client or upstream gets is never this
// copy: the proxy forwards bytes exactly as they came.
func decodeBounded(encoding string, body []byte, limit int64) ([]byte, error) {
	codings := strings.Split(encoding, ",")
	var chain []string
	for _, c := range codings {
		switch c = strings.ToLower(strings.TrimSpace(c)); c {
		case "", "identity":
		case "gzip", "x-gzip", "deflate":
			if chain = append(chain, c); len(chain) > maxCodings {
				return nil, errTooManyCodings
			}
		default:
			return nil, errUnknownCoding
		}
	}
	if len(chain) == 0 {
		if int64(len(body)) > limit {
			return nil, errDecodedTooLarge
		}
		return body, nil
	}
	var r io.Reader = bytes.NewReader(body)
	for i := len(chain) - 1; i >= 0; i-- { // the last coding applied is the first to undo
		var err error
		if chain[i] == "deflate" {
			r, err = deflateReader(r)
		} else {
			r, err = gzip.NewReader(r)
		}
		if err != nil {
			return nil, err
		}
	}
	plain, err := io.ReadAll(io.LimitReader(r, limit+1))
	switch {
	case int64(len(plain)) > limit:
		return nil, errDecodedTooLarge
	case err != nil:
		return nil, err
	}
	return plain, nil
}

// deflateReader reads the "deflate" coding: zlib-wrapped as RFC 9110 says, or the raw DEFLATE
// stream some servers send instead, told apart by the zlib header (RFC 1950 §2.2).
func deflateReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 512)
	head, err := br.Peek(2)
	if err != nil {
		return nil, err
	}
	if head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

// decodeForCheck returns the body to validate, or the violation to record instead: too-large when
// the decoded body is over the limit, not-validated for a coding the proxy does not decode, and a
// syntax violation for a compressed body that cannot be read.
func decodeForCheck(dir validate.Direction, encoding string, body []byte, limit int64) ([]byte, *validate.Violation) {
	plain, err := decodeBounded(encoding, body, limit)
	switch {
	case err == nil:
		return plain, nil
	case errors.Is(err, errDecodedTooLarge):
		return nil, &validate.Violation{Direction: dir, In: validate.InBody, Rule: validate.RuleTooLarge,
			Message: "the " + encoding + " body decodes to more than " + strconv.FormatInt(limit, 10) +
				" bytes; the proxy decoded no further and forwarded it without validation"}
	case errors.Is(err, errUnknownCoding), errors.Is(err, errTooManyCodings):
		return nil, &validate.Violation{Direction: dir, In: validate.InBody, Rule: RuleNotValidated,
			Message: "the body is encoded as " + strconv.Quote(encoding) + " (" + err.Error() +
				" for the proxy); it was forwarded without validation"}
	}
	return nil, &validate.Violation{Direction: dir, In: validate.InBody, Rule: validate.RuleSyntax,
		Message: "the " + encoding + " body cannot be decoded: " + err.Error(), Expected: encoding}
}
