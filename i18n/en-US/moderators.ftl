### Texts for the people who keep the knowledge: "Did this help?", "Check my own PC",
### the usage figures (/activation-stats), reloading (/activation-reload), and review-by.
### Command names must stay lowercase without spaces (slash commands).

button-helped = 👍 This helped
button-not-helped = 👎 This did not help
voted-helped = Thank you: counted as helpful. You can change your answer below.
voted-not-helped = Thank you: counted as not helpful. A moderator sees which answers do not help, without your name. You can change your answer below.
button-check-own = Check my own PC

cmd-stats-name = activation-stats
cmd-stats-description = Moderators: how the activation check is used here (no personal data)
cmd-reload-name = activation-reload
cmd-reload-description = Owner: load the edited rules and texts without a restart

error-may-not-see-stats = The usage figures are for members with the Manage Server or Pin Messages permission.
stats-none = No one has used the activation check in this server yet.
stats-header = Usage in this server from { $from } to { $to } (counted per day, without names): { $started } check(s) started, { $finished } finished, { $abandoned } given up.
stats-top-drop-off = Most given up at: “{ $question }” ({ $count } time(s)).
stats-no-drop-off = No check has been given up yet (an unfinished check counts once its saved answers expire).
stats-least-helpful = Least helpful answer: “{ $answer }” ({ $yes } said it helped, { $no } said it did not).
stats-no-votes = No one has answered “Did this help?” yet.
stats-outcomes = Answers reached (reached / posted / pinned / helped yes–no):
stats-outcome-line = - { $answer }: { $reached } / { $posted } / { $pinned } / { $yes }–{ $no }
stats-more = …and { $count } more answer(s); `activation-check stats` on the server lists all.

error-not-owner = Only the bot's owner can reload its rules and texts.
reload-done = Reloaded: rules { $version } are in use now (before: { $previous }). Conversations in progress continue under them.
reload-this-worker-only = Only this worker (the one that received the command) was reloaded; reload each of the other workers with SIGHUP, for example `systemctl reload`.
reload-failed = Nothing changed: the edited rules or texts have { $count } problem(s), and rules { $version } stay in use.
reload-more = …and { $count } more; `activation-check rules check` lists them all.
reload-unavailable = The bot cannot reload now (it was not started with its rules directory, or the reload did not finish). Restart it to load the edited rules and texts.

review-due = The knowledge behind these answers was due for review on { $date }. Please check the sources again.
