package store

import (
	"fmt"
	"regexp"
)

// Drafts are the work in progress of the editors (the sources text, the
// mapping rules of every type), saved as the operator types so that a
// reload or a restart loses nothing. They sit beside the preferences, one
// row a draft, apart from the saved versions.

var draftName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// MaxDraft bounds one draft; an editor's text is far smaller.
const MaxDraft = 4 << 20

func draftKey(name string) (string, error) {
	if !draftName.MatchString(name) {
		return "", fmt.Errorf("draft name %q: use 1 to 40 lower-case letters, digits and dashes", name)
	}
	return "draft:" + name, nil
}

// SaveDraft keeps the current content of an editor under a name.
func (s *Store) SaveDraft(name, content string) error {
	key, err := draftKey(name)
	if err != nil {
		return err
	}
	if len(content) > MaxDraft {
		return fmt.Errorf("draft %q is %d bytes, more than the %d a draft may hold", name, len(content), MaxDraft)
	}
	return s.SetPreference(key, content)
}

// Draft returns the content last kept under a name, "" when there is none.
func (s *Store) Draft(name string) (string, error) {
	key, err := draftKey(name)
	if err != nil {
		return "", err
	}
	v, _, err := s.Preference(key)
	return v, err
}
