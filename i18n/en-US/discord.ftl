### Texts of the Discord bot: command names, buttons, and what the bot says when a click
### cannot be served. Command names must stay lowercase without spaces (slash commands).

cmd-ask-name = activation-check
cmd-ask-description = Lost Windows activation? Answer a few questions for a dated, sourced answer
cmd-pins-name = activation-pins
cmd-pins-description = Moderators: list pinned answer cards made under older rules
cmd-pin-name = Pin activation answer

button-back = Back
button-restart = Start over
button-continue = Continue
button-post = Post in this channel
select-placeholder = Choose an answer

resume-title = Continue where you left off?
resume-body = You have an unfinished check ({ $progress }):
    { $question }

posted = The answer card is now posted in this channel: { $link }
pinned = Pinned. When the rules change and this card needs refreshing, /activation-pins will list it.
forgotten = Your saved answers in this place have been deleted.

stale-rules = The answers behind these buttons were given under an older version of this check. Please start again; it only takes a few questions.
stale-session = This conversation is no longer saved (it expired or was deleted). Please start again.
outdated-click = That button was from an earlier step, so nothing changed. This is where your check stands now.

error-bad-component = This button is not one this bot understands, so nothing was done. Run /activation-check to start a check.
error-not-yours = These buttons belong to someone else's check. Run /activation-check to start your own.
error-save = Your choice could not be saved just now, so nothing changed. Please try again in a moment.
error-cannot-post = I can't post in this channel (I may lack permission to send messages or embed links here). Ask a moderator, or copy the answer yourself.
error-not-a-card = Only answer cards this bot posted can be pinned with this command.
error-guild-only = This command works only in a server.
error-pin-permission = I can't pin in this channel: I need the Pin Messages permission here. Ask a server admin to grant it to the bot.
error-pin-limit = This channel already has 250 pinned messages, the most Discord allows. Unpin one, then try again.
error-pin-unknown-message = That message no longer exists, so it cannot be pinned.
error-pin-failed = Discord refused the pin. Please try again later.
error-discord-slow = Discord did not answer in time, so this may or may not have gone through. Please try again in a moment: trying again never posts or pins a card twice.
error-busy = Your earlier clicks are still being handled. Wait a moment, then try again.
error-unreadable = This request could not be read, so nothing was done. Run /activation-check to start again.
button-forget = Delete my saved answers
error-internal = Something went wrong on the bot's side and nothing changed. Please try again.

outdated-none = No pinned answer card is older than the current rules ({ $version }).
outdated-header = { $count } pinned answer card(s) were made under older rules than the current { $version }. Post a fresh card and replace each:
outdated-line = - { $link }: { $answer } (rules { $version }; pinned by { $pinner }, { $pinned_at })
outdated-line-menu = - { $link }: { $answer } (rules { $version }; pinned in Discord's menu, first seen { $seen })
outdated-more = …and { $count } more. Replace these first, then run the command again to see the rest.
error-member-cannot-pin = You need the Pin Messages permission in this channel to pin answer cards, so nothing was pinned. Ask a moderator to pin it.
error-pin-check-failed = Discord did not let me check your permissions in this channel, so nothing was pinned. Please try again in a moment.

rules-updated = These buttons were made under an older version of the questions. Your answers were carried over to the current questions; this is where they lead.
rules-updated-dropped = These buttons were made under an older version of the questions. Your answers were carried over to the current questions, except { $dropped }, which they no longer ask about; this is where they lead.
step-not-shown = Discord did not show the bot's last reply in time, but what you asked for was done. This is where things stand now:
