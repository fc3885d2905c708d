package live

import (
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/restreamkit/restreamkit/internal/randid"
)

// Donation overrides the money of a YouTube Super Chat or Super Sticker.
type Donation struct {
	Amount         string // as sent, such as "$5.00"
	CurrencyString string // such as "USD"
}

// message is what an injected event says, before it takes the shape of its type.
type message struct {
	author   string // display name; "" picks one
	text     string // "" picks one
	donation *Donation
}

// viewer is a generated chat author.
type viewer struct {
	display string
	login   string
}

var (
	firstNames = []string{"Ada", "Bram", "Chiara", "Dmitri", "Elif", "Farah", "Gus", "Hana", "Ivo", "Jun", "Kofi", "Lena",
		"Mateo", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vik", "Wren", "Yusuf", "Zoe"}
	nameTails = []string{"", "_gg", "_plays", "42", "_tv", "xo", "_live", "99", "_dev", "_irl"}
	texts     = []string{"hello from the chat!", "this run is looking clean", "what keyboard is that?", "first time here, love the vibe",
		"gg", "can you show the settings again?", "LUL that was close", "hype hype hype", "greetings from Lisbon",
		"is there a VOD later?", "that boss is brutal Kappa", "PogChamp", "you got this!", "how long have you been streaming?"}
	greetings = []string{"hello!", "hi everyone", "hey hey", "good evening chat", "yo!", "hello from the other side"}
	raidTexts = []string{"RAID HYPE", "we came from the raid!", "raid squad reporting in", "hello new friends", "PogChamp raid",
		"the raid has arrived LUL"}
	stickers = []struct{ id, alt string }{
		{"pomodoro_tomato_dance_v2", "Tomato dancing"}, {"hype_fire_popcorn", "Popcorn on fire"}, {"cat_wave_hello", "Cat waving hello"}}
	// Twitch global emotes the generator knows, replaced by images in the replaces list.
	twitchEmotes = map[string]string{"Kappa": "25", "PogChamp": "305954156", "LUL": "425618"}
)

// gen builds the payloads of generated events. It uses the chat's generator, under its lock.
type gen struct{ r *mrand.Rand }

func (g gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g gen) viewer(name string) viewer {
	if name == "" {
		name = g.pick(firstNames) + g.pick(nameTails)
	}
	login := strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			return r
		case r == ' ' || r == '-' || r == '.':
			return '_'
		}
		return -1
	}, name)
	if login == "" {
		login = "viewer" + strconv.Itoa(g.r.IntN(10000))
	}
	return viewer{display: name, login: login}
}

func (g gen) digits(n int) string {
	var b strings.Builder
	b.WriteByte(byte('1' + g.r.IntN(9)))
	for b.Len() < n {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}

func (g gen) hex(n int) string {
	var b strings.Builder
	for b.Len() < n {
		fmt.Fprintf(&b, "%x", g.r.IntN(16))
	}
	return b.String()
}

func ptr[T any](v T) *T { return &v }

// eventIdentifier is a message id in the style of the source; the chat API says it is not
// unique, and the mock makes no promise either.
func (g gen) eventIdentifier(src int) string {
	switch src {
	case SourceYouTube:
		return "LCC." + youTubeVideoID(g.hex(16)) + youTubeVideoID(g.hex(16))
	case SourceDiscord:
		return g.digits(19)
	case SourceFacebookProfile, SourceFacebookPage, SourceFacebookGroup:
		return g.digits(16) + "_" + g.digits(16)
	case SourceLinkedIn:
		return "urn:li:comment:(urn:li:ugcPost:" + g.digits(19) + "," + g.digits(19) + ")"
	}
	return randid.UUID(g.r)
}

// payload builds the eventPayload of an event type, realistic and valid for that type.
func (g gen) payload(typeID int, m message) any {
	v := g.viewer(m.author)
	text := m.text
	if text == "" {
		text = g.pick(texts)
	}
	switch typeID {
	case TypeDiscordText:
		id := g.digits(18)
		a := DiscordAuthor{Avatar: ptr("https://cdn.discordapp.com/avatars/" + id + "/" + g.hex(32) + ".png"), Discriminator: "0",
			ID: id, Name: v.login, Roles: []DiscordRole{{Color: "#99aab5", Name: "@everyone"}}}
		if g.r.IntN(2) == 0 {
			a.Nickname, a.NicknameColor = ptr(v.display), ptr("#f1c40f")
			a.Roles = append(a.Roles, DiscordRole{Color: "#f1c40f", Name: "Subscriber"})
		}
		return DiscordTextPayload{Author: a, Text: text}
	case TypeDLiveText, TypeDLiveEmoji:
		a := DLiveAuthor{Avatar: "https://images.prd.dlivecdn.com/avatar/" + randid.UUID(g.r), Badges: []string{}, Name: v.display,
			PartnerStatus: "NONE", Role: "None", RoomRole: "Member", Subscribing: g.r.IntN(3) == 0, Username: v.login}
		if typeID == TypeDLiveEmoji {
			return DLiveEmojiPayload{Author: a, Link: "https://images.prd.dlivecdn.com/emoji/" + g.hex(24)}
		}
		return DLiveTextPayload{Author: a, Text: text}
	case TypeTwitchText:
		return g.twitch(v, text)
	case TypeYouTubeText, TypeYouTubeSuperChat, TypeYouTubeSuperSticker:
		a := YouTubeAuthor{ID: "UC" + youTubeVideoID(v.login, g.hex(8)) + youTubeVideoID(g.hex(8)),
			Avatar: "https://yt4.ggpht.com/ytc/" + youTubeVideoID(v.login) + "=s64-c-k-c0x00ffffff-no-rj", DisplayName: v.display,
			IsChatSponsor: g.r.IntN(4) == 0}
		switch typeID {
		case TypeYouTubeSuperChat:
			d := donation(m.donation, []string{"$2.00", "$5.00", "$10.00", "$20.00", "$50.00"}[g.r.IntN(5)])
			return YouTubeSuperChatPayload{Author: a, Donation: SuperChatDonation{Amount: d.Amount, CurrencyString: d.CurrencyString,
				Tier: superChatTier(d.Amount)}, Text: text}
		case TypeYouTubeSuperSticker:
			s := stickers[g.r.IntN(len(stickers))]
			d := donation(m.donation, "$2.00")
			if m.text != "" {
				s.alt = m.text
			}
			return YouTubeSuperStickerPayload{Author: a, Donation: SuperStickerDonation{Amount: d.Amount,
				CurrencyString: d.CurrencyString, StickerID: s.id, Tier: superChatTier(d.Amount)}, Text: s.alt}
		}
		return YouTubeTextPayload{Author: a, Text: text}
	case TypeFacebookProfileText, TypeFacebookPageText, TypeFacebookGroupText,
		TypeFacebookProfileSticker, TypeFacebookPageSticker, TypeFacebookGroupSticker:
		var a FacebookAuthor
		// Group comments often come without their author (facts §5.3); the others carry one.
		if !(typeID == TypeFacebookGroupText || typeID == TypeFacebookGroupSticker) || m.author != "" {
			id := g.digits(16)
			a = FacebookAuthor{ID: id, Name: v.display, Picture: "https://graph.facebook.com/" + id + "/picture"}
		}
		if typeID == TypeFacebookProfileSticker || typeID == TypeFacebookPageSticker || typeID == TypeFacebookGroupSticker {
			return FacebookStickerPayload{Author: a, Link: "https://scontent.xx.fbcdn.net/v/t39.1997-6/" + g.digits(9) + "_" +
				g.digits(15) + "_n.png", Text: m.text}
		}
		return FacebookTextPayload{Author: a, Text: text}
	case TypeLinkedInText:
		return LinkedInTextPayload{Author: &LinkedInAuthor{Name: v.display,
			AvatarURL: "https://media.licdn.com/dms/image/" + g.hex(20) + "/profile-displayphoto-shrink_100_100/0/"}, Text: text}
	}
	panic(fmt.Sprintf("live: no payload for event type %d", typeID)) // callers check the type first
}

func donation(override *Donation, amount string) Donation {
	if override != nil {
		d := *override
		if d.Amount == "" {
			d.Amount = amount
		}
		if d.CurrencyString == "" {
			d.CurrencyString = "USD"
		}
		return d
	}
	return Donation{Amount: amount, CurrencyString: "USD"}
}

// superChatTier follows YouTube's tiers for amounts in dollars: 1 under $2, 2 under $5,
// 3 under $10, 4 under $20, 5 under $50, 6 under $100, 7 from $100. Amounts it cannot read
// are tier 1.
func superChatTier(amount string) int {
	v, err := strconv.ParseFloat(strings.TrimLeft(strings.ReplaceAll(amount, ",", ""), "$€£¥ "), 64)
	if err != nil {
		return 1
	}
	tier := 1
	for _, limit := range []float64{2, 5, 10, 20, 50, 100} {
		if v >= limit {
			tier++
		}
	}
	return tier
}

// twitch builds a Twitch message with its emotes.
func (g gen) twitch(v viewer, text string) TwitchTextPayload {
	a := TwitchAuthor{Badges: []TwitchBadge{}, DisplayName: ptr(v.display), ID: g.digits(9), Name: v.login}
	if g.r.IntN(4) != 0 {
		a.Avatar = ptr("https://static-cdn.jtvnw.net/jtv_user_pictures/" + g.hex(32) + "-profile_image-300x300.png")
	}
	if g.r.IntN(2) == 0 {
		a.Color = ptr([]string{"#1E90FF", "#FF4500", "#9ACD32", "#DAA520", "#8A2BE2"}[g.r.IntN(5)])
	}
	if g.r.IntN(3) == 0 {
		a.SubscribedFor = ptr(1 + g.r.IntN(36))
		a.Badges = append(a.Badges, TwitchBadge{Title: "Subscriber",
			ImageURL: "https://static-cdn.jtvnw.net/badges/v1/5d9f2208-5dd8-11e7-8513-2ff4adfae661/3"})
	}
	return TwitchTextPayload{Author: a, ContentModifiers: ContentModifiers{}, Replaces: emoteReplaces(text), Text: text}
}

// emoteReplaces finds the known emotes of text, as words, and lists them last first, with
// character positions (inclusive), as Twitch chat does.
func emoteReplaces(text string) []TwitchReplace {
	out := []TwitchReplace{}
	pos := 0 // in characters
	for _, word := range strings.SplitAfter(text, " ") {
		trimmed := strings.TrimSuffix(word, " ")
		if id, ok := twitchEmotes[trimmed]; ok {
			n := utf8.RuneCountInString(trimmed)
			out = append(out, TwitchReplace{From: pos, To: pos + n - 1, Type: "imageUrl",
				Payload: ReplacePayload{URL: "https://static-cdn.jtvnw.net/emoticons/v2/" + id + "/default/dark/1.0"}})
		}
		pos += utf8.RuneCountInString(word)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
