### 知識を保守する人向けの文言:「役に立ちましたか」、「自分のPCもチェック」、利用状況
### (/activation-stats)、再読み込み(/activation-reload)、見直し期限。
### スラッシュコマンド名は小文字・空白なしのままにしてください。

button-helped = 👍 役に立った
button-not-helped = 👎 役に立たなかった
voted-helped = ありがとうございます。「役に立った」として数えました。下のボタンで変更できます。
voted-not-helped = ありがとうございます。「役に立たなかった」として数えました。お名前は記録せず、役に立たなかったカードだけをモデレーターが確認します。下のボタンで変更できます。
button-check-own = 自分のPCもチェック

cmd-stats-name = 認証チェック利用状況
cmd-stats-description = モデレーター向け:このサーバーでの認証チェックの利用状況を表示します(個人情報は含みません)
cmd-reload-name = 認証チェック再読み込み
cmd-reload-description = オーナー向け:編集したルールと文言を、再起動せずに読み込みます

error-may-not-see-stats = 利用状況は、「サーバー管理」か「メッセージをピン留め」の権限を持つメンバーだけが見られます。
stats-none = このサーバーでは、まだ認証チェックが使われていません。
stats-header = このサーバーでの利用状況です({ $from }〜{ $to }、日ごとに集計、名前は記録していません)。開始 { $started } 件、完了 { $finished } 件、途中でやめた { $abandoned } 件です。
stats-top-drop-off = 最も多くやめた質問:「{ $question }」({ $count } 件)
stats-no-drop-off = 途中でやめたチェックはまだありません(途中のチェックは、保存した選択内容の期限が切れた時点で数えます)。
stats-least-helpful = 最も役に立たなかったカード:「{ $answer }」(役に立った { $yes } 件、役に立たなかった { $no } 件)
stats-no-votes = 「役に立ったか」の回答はまだありません。
stats-outcomes = 表示されたカード(表示/投稿/ピン留め/役に立った–立たなかった):
stats-outcome-line = - { $answer }:{ $reached }/{ $posted }/{ $pinned }/{ $yes }–{ $no }
stats-more = …ほかに { $count } 件あります。すべてはサーバー上の `activation-check stats` で確認できます。

error-not-owner = ルールと文言の再読み込みは、ボットのオーナーだけが行えます。
reload-done = 再読み込みしました。現在はルール { $version } を使っています(以前は { $previous })。途中のチェックも、このルールで続きます。
reload-this-worker-only = 再読み込みしたのは、このコマンドを受け取ったワーカーだけです。ほかのワーカーは、それぞれ SIGHUP で再読み込みしてください(例:`systemctl reload`)。
reload-failed = 何も変更していません。編集したルールか文言に問題が { $count } 件あるため、ルール { $version } を使い続けます。
reload-more = …ほかに { $count } 件あります。`activation-check rules check` ですべて確認できます。
reload-unavailable = 現在は再読み込みできません(ルールの場所が分からないか、再読み込みが終わりませんでした)。編集したルールと文言は、ボットを再起動すると読み込まれます。

review-due = これらの回答の元になる情報は、{ $date }までに見直す予定でした。情報元を確認し直してください。
