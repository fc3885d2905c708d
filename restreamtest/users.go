package restreamtest

// The built-in fixture users (examples/), by the user id Token, NewToken, SignIn and the control
// helpers take. Nova is the default user: the one the consent page pre-selects.
const (
	// Nova is nova_plays, a streamer with the richest world: five channels, and events and
	// files of every kind.
	Nova int64 = 2046371
	// TechTalks is techtalks_daily, a talk show with six channels.
	TechTalks int64 = 3189024
	// QuietNewcomer is quiet_newcomer, a new user with one Twitch channel and little else: the
	// smallest world to test against.
	QuietNewcomer int64 = 4410087
)

// The fixture users' channel ids, as /v2/user/channel/{id} takes them, with the state each
// starts in.
const (
	NovaTwitchChannel   int64 = 5120001 // nova_plays on Twitch, active
	NovaYouTubeChannel  int64 = 5120002 // Nova Plays on YouTube, active
	NovaFacebookChannel int64 = 5120003 // Nova Plays Gaming, a Facebook page, inactive
	NovaRTMPChannel     int64 = 5120004 // Nova backup server, a custom RTMP destination, active
	NovaTelegramChannel int64 = 5120005 // Nova Plays Live on Telegram, active

	TechTalksYouTubeChannel  int64 = 6230011 // TechTalks Daily on YouTube, active
	TechTalksLinkedInChannel int64 = 6230012 // TechTalks Daily, a LinkedIn page, active
	TechTalksSRTChannel      int64 = 6230013 // Studio SRT relay, a custom SRT destination, active
	TechTalksSteamChannel    int64 = 6230014 // TechTalks Daily on Steam, inactive
	TechTalksXChannel        int64 = 6230015 // @techtalksdaily on X, active
	TechTalksDLiveChannel    int64 = 6230019 // TechTalks Daily on DLive, active: chat without a live event

	QuietNewcomerTwitchChannel int64 = 7340021 // quiet_newcomer on Twitch, active
)
