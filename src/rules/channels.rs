//! The `[notify.*]` tables of the chat and push services (issue 17): what each
//! needs to send, and where its secret lives. A secret is never a value here,
//! only the name of the environment variable that holds it, read at send time,
//! so a parsed rules file (and anything built from it) cannot leak one.

/// `[notify.telegram]`: a bot's `sendMessage` to one chat.
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// The variable holding the bot token (it goes in the URL path).
    pub token_env: String,
    pub chat_id: String,
    /// The Bot API's base URL (a local Bot API server, tests).
    pub url: String,
}

/// `[notify.discord]` and `[notify.slack]`: an incoming webhook, whose URL is the secret.
#[derive(Debug, Clone)]
pub struct HookConfig {
    pub url_env: String,
}

/// `[notify.gotify]`: `POST /message` on the shopper's own server.
#[derive(Debug, Clone)]
pub struct GotifyConfig {
    pub url: String,
    pub token_env: String,
    /// 0 to 10; unset leaves it to the server (the application's default).
    pub priority: Option<u8>,
}

/// `[notify.matrix]`: an `m.room.message` event in one room.
#[derive(Debug, Clone)]
pub struct MatrixConfig {
    pub homeserver: String,
    /// A room id (`!abc:server`): sending needs the id, not an alias.
    pub room: String,
    pub token_env: String,
}

/// `[notify.pushover]`: `messages.json`, for the user's devices.
#[derive(Debug, Clone)]
pub struct PushoverConfig {
    pub user_env: String,
    pub token_env: String,
    pub url: String,
}

pub const TELEGRAM_URL: &str = "https://api.telegram.org";
pub const PUSHOVER_URL: &str = "https://api.pushover.net";
