package ratelimit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// maxClaimsSize bounds the JWT payload IntegrationKey decodes: amoCRM's
// are well under a kilobyte, and the header comes from any client.
const maxClaimsSize = 4 << 10

// IntegrationKey is the Limiter's default budget key. amoCRM counts its
// 7 requests per second per integration and account, not per token
// (https://developers.kommo.com/docs/limitations), so every token of one
// integration in one account must draw from one budget: in pass-through
// mode each user of an integration brings a token of their own.
//
// amoCRM's OAuth access tokens are JWTs whose claims name the integration
// ("aud", its client id) and the account ("account_id"). amoCRM documents
// the tokens as JWTs (https://developers.kommo.com/docs/long-lived-token)
// but not these claims: they are read from the tokens it issues, and named
// the same in the tokens it documents for integrations
// (https://www.amocrm.com/developers/content/oauth/one-time-tokens-for-integrations/).
// The claims are read without verifying the signature, which is
// harmless for this use only: a forged token can at worst share, and so
// slow, the budget of the integration it names, never reach amoCRM as
// anything but itself. Nothing else may trust them.
//
// A request whose Authorization header is not a bearer JWT with both
// claims is keyed by the whole header: one budget per token.
func IntegrationKey(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if k, ok := integrationOf(auth); ok {
		return k
	}
	return auth
}

// integrationOf returns "jwt aud=<aud> account_id=<id>" for a bearer JWT
// carrying both claims. The prefix cannot begin an Authorization header
// value that IntegrationKey passes through ("Bearer ...").
func integrationOf(auth string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(auth), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	_, rest, ok := strings.Cut(strings.TrimSpace(token), ".")
	if !ok {
		return "", false
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(sig, ".") || len(payload) > maxClaimsSize {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return "", false
	}
	var claims struct {
		Aud       json.RawMessage `json:"aud"`
		AccountID json.RawMessage `json:"account_id"`
	}
	if json.Unmarshal(raw, &claims) != nil {
		return "", false
	}
	aud, ok := audience(claims.Aud)
	account := string(bytes.Trim(claims.AccountID, `"`))
	if !ok || account == "" || account == "null" {
		return "", false
	}
	return "jwt aud=" + aud + " account_id=" + account, true
}

// audience reads "aud": a string or, as RFC 7519 §4.1.3 allows, an array
// of strings (joined, so the same list keys the same budget).
func audience(raw json.RawMessage) (string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one, one != ""
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return strings.Join(many, ","), true
	}
	return "", false
}
