//! Discord's limits as the stand-in enforces them, named once. The stand-in is the tests'
//! oracle, so these are its own (from Discord's documentation and API spec), never the
//! bot's constants.

/// `content` of a message, in characters.
pub const CONTENT_CHARS: usize = 2000;
/// Embeds on one message.
pub const EMBEDS: usize = 10;
/// An embed's title, in characters.
pub const EMBED_TITLE_CHARS: usize = 256;
/// An embed's description, in characters.
pub const EMBED_DESCRIPTION_CHARS: usize = 4096;
/// An embed footer's text, in characters.
pub const EMBED_FOOTER_CHARS: usize = 2048;
/// An embed author's name, in characters.
pub const EMBED_AUTHOR_CHARS: usize = 256;
/// Fields in one embed.
pub const EMBED_FIELDS: usize = 25;
/// A field's name, in characters.
pub const FIELD_NAME_CHARS: usize = 256;
/// A field's value, in characters.
pub const FIELD_VALUE_CHARS: usize = 1024;
/// Every embed of a message together, in characters.
pub const EMBEDS_TOTAL_CHARS: usize = 6000;
/// Action rows on one message (or modal).
pub const ACTION_ROWS: usize = 5;
/// Buttons in one action row.
pub const BUTTONS_PER_ROW: usize = 5;
/// A component's `custom_id`, in characters.
pub const CUSTOM_ID_CHARS: usize = 100;
/// A button's label, in characters.
pub const BUTTON_LABEL_CHARS: usize = 80;
/// A select menu's placeholder, in characters.
pub const SELECT_PLACEHOLDER_CHARS: usize = 150;
/// Options of a select menu (and its `min_values`/`max_values`).
pub const SELECT_OPTIONS: usize = 25;
/// A select option's label, value or description, in characters.
pub const SELECT_OPTION_CHARS: usize = 100;
/// A modal's title, in characters.
pub const MODAL_TITLE_CHARS: usize = 45;
/// Commands in one bulk overwrite.
pub const COMMANDS: usize = 100;
/// A command's description, in characters.
pub const COMMAND_DESCRIPTION_CHARS: usize = 100;
/// Options of a command.
pub const COMMAND_OPTIONS: usize = 25;
/// Pins a channel holds (error 30003 beyond).
pub const PINS_PER_CHANNEL: usize = 250;
/// A command's name, in characters.
pub const COMMAND_NAME_CHARS: usize = 32;
