package live

// Connection targets (connection_info.payload.target), one shape per source, facts §5.4.
// Fields the documentation marks optional are omitted when empty; the others are always sent.

// TwitchTarget is the target of a Twitch channel. Trovo, X and Kick channels get the same
// shape: theirs is not documented (UNCONFIRMED).
type TwitchTarget struct {
	Owner            TwitchOwner `json:"owner"`
	WebsiteChannelID int64       `json:"websiteChannelId"` // the Restream channel id
}

// TwitchOwner is the Twitch account of a channel.
type TwitchOwner struct {
	Avatar      string `json:"avatar,omitempty"`
	DisplayName string `json:"displayName"`
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	URL         string `json:"url,omitempty"`
}

// YouTubeTarget is the target of a YouTube channel: the broadcast of the current event.
type YouTubeTarget struct {
	Event            YouTubeEvent `json:"event"`
	Owner            YouTubeOwner `json:"owner"`
	WebsiteChannelID int64        `json:"websiteChannelId"`
}

// YouTubeEvent is a YouTube broadcast.
type YouTubeEvent struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
	URL   string `json:"url"`
}

// YouTubeOwner is a YouTube channel.
type YouTubeOwner struct {
	Avatar      string `json:"avatar,omitempty"`
	DisplayName string `json:"displayName"`
	ID          string `json:"id"`
}

// FacebookLiveVideo is a Facebook live video.
type FacebookLiveVideo struct {
	ID     string `json:"id"`
	Status string `json:"status,omitempty"`
	Title  string `json:"title,omitempty"`
	URL    string `json:"url,omitempty"`
}

// FacebookProfileTarget is the target of a Facebook personal profile (source 19).
type FacebookProfileTarget struct {
	LiveVideo        FacebookLiveVideo `json:"liveVideo"`
	User             FacebookUser      `json:"user"`
	WebsiteChannelID int64             `json:"websiteChannelId"`
}

// FacebookUser is a Facebook person.
type FacebookUser struct {
	Avatar string `json:"avatar,omitempty"`
	ID     string `json:"id"`
	Name   string `json:"name"`
}

// FacebookPageTarget is the target of a Facebook page (source 20).
type FacebookPageTarget struct {
	LiveVideo        FacebookLiveVideo `json:"liveVideo"`
	Page             FacebookPage      `json:"page"`
	WebsiteChannelID int64             `json:"websiteChannelId"`
}

// FacebookPage is a Facebook page, or for FacebookGroupTarget a group.
type FacebookPage struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Picture string `json:"picture,omitempty"`
}

// FacebookGroupTarget is the target of a Facebook group (source 21). Its shape is
// UNCONFIRMED: the documentation lists no group target, so the mock uses the page shape with a
// group in place of the page.
type FacebookGroupTarget struct {
	LiveVideo        FacebookLiveVideo `json:"liveVideo"`
	Group            FacebookPage      `json:"group"`
	WebsiteChannelID int64             `json:"websiteChannelId"`
}

// DLiveTarget is the target of a DLive channel.
type DLiveTarget struct {
	Owner            DLiveOwner `json:"owner"`
	WebsiteChannelID int64      `json:"websiteChannelId"`
}

// DLiveOwner is a DLive account.
type DLiveOwner struct {
	Avatar      string `json:"avatar,omitempty"`
	DisplayName string `json:"displayName"`
	URL         string `json:"url"`
	Username    string `json:"username"`
}

// DiscordTarget is the target of a Discord channel. It has no websiteChannelId: Discord
// connections are not Restream channels.
type DiscordTarget struct {
	Channel DiscordChannel `json:"channel"`
	Owner   *DiscordOwner  `json:"owner,omitempty"`
	Server  *DiscordServer `json:"server,omitempty"`
}

// DiscordChannel is a Discord text channel.
type DiscordChannel struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	URL  string `json:"url"`
}

// DiscordOwner is the Discord account that connected the channel.
type DiscordOwner struct {
	Avatar string `json:"avatar"`
	ID     string `json:"id"`
	Name   string `json:"name"`
}

// DiscordServer is a Discord server (guild).
type DiscordServer struct {
	Icon *string `json:"icon"` // null when the server has none
	ID   string  `json:"id"`
	Name string  `json:"name"`
}

// LinkedInTarget is the target of a LinkedIn page or profile: the post of the live event.
type LinkedInTarget struct {
	Organization     *LinkedInOrganization `json:"organization,omitempty"`
	Post             LinkedInPost          `json:"post"`
	User             *LinkedInUser         `json:"user,omitempty"`
	WebsiteChannelID int64                 `json:"websiteChannelId"`
}

// LinkedInOrganization is a LinkedIn company page.
type LinkedInOrganization struct {
	AvatarURL string `json:"avatarUrl,omitempty"`
	ID        int64  `json:"id"`
	Name      string `json:"name"`
}

// LinkedInPost is the LinkedIn post of a live event.
type LinkedInPost struct {
	ID  string `json:"id"`
	URL string `json:"url,omitempty"`
}

// LinkedInUser is a LinkedIn member.
type LinkedInUser struct {
	AvatarURL string `json:"avatarUrl,omitempty"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`
}

// Event payloads (event.payload.eventPayload), one shape per event type, facts §5.3.

// DiscordTextPayload is event type 1.
type DiscordTextPayload struct {
	Author DiscordAuthor `json:"author"`
	Bot    bool          `json:"bot"`
	Text   string        `json:"text"`
}

// DiscordAuthor is the author of a Discord message.
type DiscordAuthor struct {
	Avatar        *string       `json:"avatar"`
	Discriminator string        `json:"discriminator"`
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	Nickname      *string       `json:"nickname"`
	NicknameColor *string       `json:"nicknameColor"`
	Roles         []DiscordRole `json:"roles"` // null when not known
}

// DiscordRole is a role on a Discord server.
type DiscordRole struct {
	Color string `json:"color"`
	Name  string `json:"name"`
}

// DLiveTextPayload is event type 2.
type DLiveTextPayload struct {
	Author DLiveAuthor `json:"author"`
	Bot    bool        `json:"bot"`
	Text   string      `json:"text"`
}

// DLiveEmojiPayload is event type 3: an emoji sent as an image.
type DLiveEmojiPayload struct {
	Author DLiveAuthor `json:"author"`
	Bot    bool        `json:"bot"`
	Link   string      `json:"link"` // the image URL
}

// DLiveAuthor is the author of a DLive message.
type DLiveAuthor struct {
	Avatar        string   `json:"avatar"`
	Badges        []string `json:"badges"`
	Name          string   `json:"name"`
	PartnerStatus string   `json:"partnerStatus"`
	Role          string   `json:"role"`
	RoomRole      string   `json:"roomRole"`
	Subscribing   bool     `json:"subscribing"`
	Username      string   `json:"username"`
}

// TwitchTextPayload is event type 4.
type TwitchTextPayload struct {
	Author           TwitchAuthor     `json:"author"`
	Bot              bool             `json:"bot"`
	ContentModifiers ContentModifiers `json:"contentModifiers"`
	// Replaces are emotes, in reverse order so that they can be applied one after the other.
	Replaces []TwitchReplace `json:"replaces"`
	Text     string          `json:"text"`
}

// TwitchAuthor is the author of a Twitch message.
type TwitchAuthor struct {
	Avatar        *string       `json:"avatar"`
	Badges        []TwitchBadge `json:"badges"`
	Color         *string       `json:"color"`
	DisplayName   *string       `json:"displayName"`
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	SubscribedFor *int          `json:"subscribedFor"` // months
}

// TwitchBadge is a chat badge.
type TwitchBadge struct {
	Title    string  `json:"title"`
	ImageURL string  `json:"imageUrl"`
	ClickURL *string `json:"clickUrl"`
}

// ContentModifiers say how a Twitch message was sent.
type ContentModifiers struct {
	Me      bool `json:"me"`
	Whisper bool `json:"whisper"`
}

// TwitchReplace replaces the characters From to To (inclusive) of the text with an image.
type TwitchReplace struct {
	From    int            `json:"from"`
	To      int            `json:"to"`
	Type    string         `json:"type"` // always "imageUrl"
	Payload ReplacePayload `json:"payload"`
}

// ReplacePayload is the image of a replacement.
type ReplacePayload struct {
	URL string `json:"url"`
}

// YouTubeTextPayload is event type 5.
type YouTubeTextPayload struct {
	Author YouTubeAuthor `json:"author"`
	Bot    bool          `json:"bot"`
	Text   string        `json:"text"`
}

// YouTubeAuthor is the author of a YouTube message.
type YouTubeAuthor struct {
	ID              string `json:"id"`
	Avatar          string `json:"avatar"`
	DisplayName     string `json:"displayName"`
	IsChatModerator bool   `json:"isChatModerator"`
	IsChatOwner     bool   `json:"isChatOwner"`
	IsChatSponsor   bool   `json:"isChatSponsor"`
	IsVerified      bool   `json:"isVerified"`
}

// YouTubeSuperChatPayload is event type 7.
type YouTubeSuperChatPayload struct {
	Author   YouTubeAuthor     `json:"author"`
	Bot      bool              `json:"bot"`
	Donation SuperChatDonation `json:"donation"`
	Text     string            `json:"text"`
}

// SuperChatDonation is the money of a Super Chat. The values are UNCONFIRMED: the mock sends
// YouTube's display amount ("$5.00") as amount and the ISO currency code as currencyString.
type SuperChatDonation struct {
	Amount         string `json:"amount"`
	CurrencyString string `json:"currencyString"`
	Tier           int    `json:"tier"`
}

// YouTubeSuperStickerPayload is event type 8; Text is the sticker's alt text.
type YouTubeSuperStickerPayload struct {
	Author   YouTubeAuthor        `json:"author"`
	Bot      bool                 `json:"bot"`
	Donation SuperStickerDonation `json:"donation"`
	Text     string               `json:"text"`
}

// SuperStickerDonation is the money and the sticker of a Super Sticker.
type SuperStickerDonation struct {
	Amount         string `json:"amount"`
	CurrencyString string `json:"currencyString"`
	StickerID      string `json:"stickerId"`
	Tier           int    `json:"tier"`
}

// FacebookTextPayload is event types 11, 13 and 19 (profile, page and group text).
type FacebookTextPayload struct {
	Author FacebookAuthor  `json:"author"` // often empty for groups
	Bot    bool            `json:"bot"`
	Parent *FacebookParent `json:"parent,omitempty"`
	Text   string          `json:"text"`
}

// FacebookStickerPayload is event types 12, 14 and 20.
type FacebookStickerPayload struct {
	Author FacebookAuthor  `json:"author"`
	Bot    bool            `json:"bot"`
	Link   string          `json:"link"` // the sticker image
	Parent *FacebookParent `json:"parent,omitempty"`
	Text   string          `json:"text"`
}

// FacebookAuthor is the author of a Facebook comment; every field is optional.
type FacebookAuthor struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Picture string `json:"picture,omitempty"`
}

// FacebookParent is the comment a Facebook comment answers.
type FacebookParent struct {
	Name string `json:"name,omitempty"`
}

// LinkedInTextPayload is event type 21.
type LinkedInTextPayload struct {
	Author *LinkedInAuthor `json:"author,omitempty"`
	Bot    bool            `json:"bot"`
	Text   string          `json:"text"`
}

// LinkedInAuthor is the author of a LinkedIn comment.
type LinkedInAuthor struct {
	AvatarURL string `json:"avatarUrl,omitempty"`
	Name      string `json:"name"`
}
