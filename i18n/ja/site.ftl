### 知識のウェブページ(`activation-check site`)の見出し、表、カードの前後の文。
### カードそのものはカードの文言をそのまま使います。

site-locale-name = 日本語
site-locale-switch = 表示する言語
site-title = ライセンス認証チェックの知識
site-intro = このページには、ライセンス認証チェックがする質問、表示しうる回答カード、回答の根拠にした情報元をすべて載せています。Discordのボットと同じルールと文言から作っています。コミュニティによる助言であり、Microsoftの公式見解ではありません。

## 質問の流れ

site-tree-title = 質問と回答の流れ
site-tree-help = 四角は質問で、確かめる事実を添えています。矢印は選んだ選択肢です。色つきの枠は回答カードで、色は深刻さを表します。選ぶとカードを読めます。
site-tree-files = 同じ図のファイル:

## 回答カード

site-outcomes-title = 回答カード
site-col-card = カード
site-col-verdict = 判定
site-col-severity = 深刻さ
site-col-paths = たどり着く道筋
site-severity-good = よい知らせ
site-severity-info = お知らせ
site-severity-caution = 注意
site-severity-danger = 深刻

## 情報元

site-col-source = 情報元
site-col-title = 内容
site-col-date = 日付
site-col-age = 経過
site-col-facts = 使った事実
site-undated = 日付なし

## 情報元の古さ(このページを作った日まで)

site-age-today = 今日
site-age-day = 1日前
site-age-days = { $n }日前
site-age-month = 1か月前
site-age-months = { $n }か月前
site-age-year = 約1年前
site-age-years = 約{ $n }年前

## カードごとのページ

site-back = 質問と回答カードの一覧
site-card-title = ボットが投稿するカード
site-card-note = 下の最初の選択内容で答えた場合の表示です。ほかの選択内容では「{ $answers }」の部分だけが変わります。
site-paths-title = このカードにたどり着く選択内容
site-path-command = 同じ選択内容をターミナルで確かめるには:
