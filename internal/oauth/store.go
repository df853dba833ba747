package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// storeFile is the JSON kept at Config.StorePath.
type storeFile struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	ExpiresAt    time.Time `json:"expires_at"`
	// Version is the pair's rotation count in Redis (Config.Redis), so a
	// replica restarted from the file knows whether Redis lost newer data.
	Version int64 `json:"version,omitempty"`
}

// load reads the store; ok is false when the file does not exist.
func load(path string) (tok tokens, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return tokens{}, false, nil
	}
	if err != nil {
		return tokens{}, false, fmt.Errorf("oauth: read token store: %w", err)
	}
	var f storeFile
	if err := json.Unmarshal(data, &f); err != nil {
		return tokens{}, false, fmt.Errorf("oauth: token store %q is not valid JSON: %w", path, err)
	}
	if f.RefreshToken == "" {
		return tokens{}, false, fmt.Errorf("oauth: token store %q has no refresh_token", path)
	}
	return tokens{access: f.AccessToken, refresh: f.RefreshToken, expiresAt: f.ExpiresAt, version: f.Version}, true, nil
}

// save writes tok to path atomically: a temporary file in the same
// directory, created 0600, synced, then renamed over path. A crash leaves
// either the old pair or the new one, never a torn file.
func save(path string, tok tokens) (err error) {
	data, err := json.MarshalIndent(storeFile{AccessToken: tok.access, RefreshToken: tok.refresh, ExpiresAt: tok.expiresAt.UTC(), Version: tok.version}, "", "  ")
	if err != nil {
		return fmt.Errorf("oauth: encode token store: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("oauth: save token store: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("oauth: save token store: %w", err)
	}
	if _, err = f.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("oauth: save token store: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("oauth: save token store: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("oauth: save token store: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("oauth: save token store: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename durable; best effort
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// saveIfDirty writes the current pair to the store if it is not there yet.
// A failure is reported to Config.OnError and retried on the next call.
func (ts *TokenSource) saveIfDirty() {
	if ts.cfg.StorePath == "" {
		return
	}
	ts.saveMu.Lock()
	defer ts.saveMu.Unlock()
	ts.mu.Lock()
	tok, dirty := ts.tok, ts.dirty
	ts.mu.Unlock()
	if !dirty {
		return
	}
	if err := save(ts.cfg.StorePath, tok); err != nil {
		ts.report(err)
		return
	}
	ts.mu.Lock()
	if ts.tok == tok {
		ts.dirty = false
	}
	ts.mu.Unlock()
}
