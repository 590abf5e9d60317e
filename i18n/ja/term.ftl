### ターミナル版の表示:入力の案内、状態の表示、--answer モードのエラー。

term-intro = activation-check:PCについていくつか質問し、Windowsのライセンス認証についての回答カードを表示します。選択内容は保存されるので、途中でやめても後で続きから再開できます。
term-prompt = 1~{ $count } を入力(b = 戻る、r = 最初から、q = 終了)
term-done-prompt = r = 最初から、b = 戻る、q = 終了
term-invalid = 「{ $input }」は入力として認識できませんでした。
term-resumed = 前回の途中から再開します。
term-saved-quit = 選択内容を保存しました。もう一度実行すると、続きから再開できます。
term-at-first = これが最初の質問です。
term-help-label = ヒント
ask-missing-fact = 質問「{ $question }」には { $fact } の値が必要です。--answer { $fact }=値 の形で指定してください(指定できる値:{ $allowed })。
ask-unknown-value = 「{ $value }」は { $fact } の値として使えません(質問「{ $question }」)。指定できる値:{ $allowed }
ask-fact-twice = { $fact } が「{ $first }」と「{ $second }」の2回指定されています。それぞれの項目は1回だけ指定してください。
ask-unknown-fact = { $fact } は、このルールにない項目のため使えません。
ask-did-you-mean = { $suggestion } の入力ミスではありませんか?
ask-known-facts = 使える項目:{ $known }
term-severity-good = よい知らせ
term-severity-info = 参考
term-severity-caution = 注意
term-severity-danger = 警告
term-fact-ids = A1、B4 などは、このカードが根拠とする各情報元の記述の番号です(--format json で情報元ごとに一覧できます)。
term-answers-so-far = ここまでの選択内容:
term-finished-quit = このチェックは終わっています。もう一度実行すると、新しいチェックを始めます。
term-interrupted = 中断しました。ここまでの選択内容({ $answered } 件)は保存されています。もう一度実行すると、この質問から続けられます。
term-interrupted-finished = 中断しました。このチェックは終わっています。もう一度実行すると、新しいチェックを始めます。
