### Discordボットの文言:コマンド名、ボタン、操作を受け付けられないときの案内。
### スラッシュコマンド名は小文字・空白なしのままにしてください。

cmd-ask-name = ライセンス認証チェック
cmd-ask-description = ライセンス認証が外れたら:いくつかの質問に答えると、日付と情報元つきの回答カードを表示します
cmd-pins-name = 認証カード更新確認
cmd-pins-description = モデレーター向け:古いルールで作られたピン留め中の回答カードを一覧します
cmd-pin-name = 回答カードをピン留め

button-back = 戻る
button-restart = 最初から
button-continue = 続きから
button-post = このチャンネルに投稿
select-placeholder = 当てはまるものを選んでください

resume-title = 前回の続きから再開しますか?
resume-body = 途中のチェックがあります({ $progress }):
    { $question }

posted = 回答カードをこのチャンネルに投稿しました:{ $link }
pinned = ピン留めしました。ルールが更新されてこのカードの差し替えが必要になったら、モデレーター向けの一覧に表示されます。
forgotten = この場所で保存していた選択内容を削除しました。

stale-rules = このボタンは、以前の版のチェックのものです。お手数ですが、最初からやり直してください。質問は数問で終わります。
stale-session = この会話はもう保存されていません(期限切れ、または削除済み)。最初からやり直してください。
outdated-click = 前のステップのボタンだったため、何も変更していません。現在の進み具合はこちらです。

error-bad-component = このボットが扱えないボタンのため、何も行いませんでした。/activation-check でチェックを始めてください。
error-not-yours = これは別の方のチェックのボタンです。ご自身のチェックは /activation-check で始めてください。
error-save = 選択内容を保存できなかったため、何も変更していません。少し待ってから、もう一度お試しください。
error-cannot-post = このチャンネルには投稿できません(メッセージの送信か埋め込みリンクの権限がないようです)。モデレーターに相談するか、カードの内容をご自身で貼り付けてください。
error-not-a-card = このコマンドでピン留めできるのは、このボットが投稿した回答カードだけです。
error-guild-only = このコマンドはサーバー内でのみ使えます。
error-pin-permission = このチャンネルではピン留めできません。ボットに「メッセージをピン留め」の権限が必要なので、サーバー管理者に付与を依頼してください。
error-pin-limit = このチャンネルのピン留めは、Discordの上限の250件に達しています。どれかを外してから、もう一度お試しください。
error-pin-unknown-message = そのメッセージはすでに削除されているため、ピン留めできません。
error-pin-failed = Discordにピン留めを拒否されました。時間をおいてもう一度お試しください。
error-discord-slow = Discordからの応答が時間内になかったため、処理が済んだかどうか分かりません。少し待ってから、もう一度お試しください。やり直しても、同じカードが二重に投稿やピン留めされることはありません。
error-busy = 前のクリックをまだ処理中です。少し待ってからもう一度お試しください。
error-unreadable = このリクエストを読み取れなかったため、何も行いませんでした。/activation-check からやり直してください。
button-forget = 保存した選択内容を削除
error-internal = ボット側で問題が起き、何も変更していません。もう一度お試しください。

outdated-none = 現在のルール({ $version })より古いピン留め中の回答カードはありません。
outdated-header = 現在のルール { $version } より古いルールで作られた、ピン留め中の回答カードが { $count } 件あります。新しいカードを投稿して差し替えてください:
outdated-line = - { $link }:{ $answer }(ルール { $version }/{ $pinner } が { $pinned_at } にピン留め)
outdated-line-menu = - { $link }:{ $answer }(ルール { $version }/Discordのメニューでピン留め、{ $seen } に確認)
outdated-more = …ほかに { $count } 件あります。これらを差し替えてからもう一度実行すると、残りが表示されます。
error-member-cannot-pin = 回答カードをピン留めするには、このチャンネルで「メッセージをピン留め」の権限が必要です。ピン留めはしていません。モデレーターにピン留めを依頼してください。
error-pin-check-failed = このチャンネルでの権限をDiscordに確認できなかったため、ピン留めはしていません。少し待ってから、もう一度お試しください。

rules-updated = このボタンは、以前の版の質問で作られたものです。これまでの選択内容を今の質問に引き継ぎました。続きはこちらです。
rules-updated-dropped = このボタンは、以前の版の質問で作られたものです。これまでの選択内容を今の質問に引き継ぎました。ただし、{ $dropped } は今の質問にないため外しました。続きはこちらです。
step-not-shown = Discordがボットの前回の返信を時間内に表示できませんでした。操作は反映されています。現在の状況はこちらです。
