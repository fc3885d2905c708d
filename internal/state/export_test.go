package state

// ParseChatToken exposes the chat page token codec to the fuzz tests: the canonical form of a
// token the store would accept for the event, or its 400.
func ParseChatToken(eventID, raw string) (string, error) {
	t, err := parseChatToken(eventID, raw)
	if err != nil {
		return "", err
	}
	return t.String(), nil
}

// ParseClipsCursor exposes the clip project cursor codec to the fuzz tests like ParseChatToken.
func ParseClipsCursor(raw string) (string, error) {
	c, _, err := parseClipsCursor(raw)
	if err != nil {
		return "", err
	}
	return c.String(), nil
}
