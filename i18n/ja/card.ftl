### 回答カードの枠組み(見出し、情報元の行、日付、フッター、進行表示)と定型ブロック
### (電話認証の手順、担当者につなぐ方法、Windowsのサポート窓口、通話で記録すること、ご注意)。
### 定型ブロックはどのカードでも同じ文面です。短く保ってください。

## 見出し

card-what-to-do = 対処方法
card-answers-title = 選択内容
card-sources-title = 情報元

## 電話認証の手順(D3, D4, A4, A11の手順1~2)

card-phone-activation-title = 電話認証の手順
card-phone-activation-body =
    一般的な手順です。
    1. Win+Rキーを押し、「slui 4」と入力してEnterキーを押します。
    2. 国または地域を選ぶと、インストールIDと電話番号が表示されます。
    3. 表示された番号に電話します。日本の認証窓口は { $desk_number } ですが、変わることがあるため、かける前にご確認ください。
    4. 自動音声の案内に従い、IDのグループを順に読み上げます。
    5. 伝えられた確認IDを画面に入力します。
    情報元Aで認証窓口は、電話はAIの自動音声で、途中の答え方によっては切れることがあると回答しています。切れると、やり直しに10~15分かかります。

## 担当者につなぐ方法(A11, A12)

card-reach-operator-title = 担当者につなぐ方法
card-reach-operator-body =
    情報元Aの筆者が、M/B(マザーボード)交換の相談向けに紹介している方法です。
    1. 認証窓口 { $desk_number } に電話します。番号は変わることがあるため、かける前にご確認ください。
    2. 音声の案内に従い、インストールIDを聞かれるところまで進みます。
    3. 最初のグループを求められたら、無効な5桁の数字(筆者の例は22732)を言います。
    4. 正しくないと言われるので、5回ほど繰り返します。
    5. 担当者につなぐか聞かれたら「はい」と答え、保留音のまま待ちます。
    認証窓口は、相談を受け付けるのはM/B交換の場合だけだと回答しています。筆者は、ほかの部品を替えただけなのにM/B交換と偽らないよう呼びかけています。

## Windowsのサポート窓口(B9)

card-support-title = Windowsのサポート窓口
card-support-body =
    Windowsそのものやインストールの相談は、次の窓口で受け付けていると認証窓口は回答しています(情報元B)。
    ・電話:{ $support_number }(自動音声。番号は変わることがあるため、かける前にご確認ください)
    ・Webフォーム:Microsoftサポートの問い合わせページ
    内容によっては有料になります。M/B交換ではない相談は、まずこちらへどうぞ。

## 通話で記録すること(B8)

card-checklist-title = 通話で記録すること
card-checklist-body =
    情報元Bの筆者は、電話のたびに次を記録するよう勧めています。
    ・日時、担当者の名前、話した内容(できれば録音も)
    ・切る前に聞く、この件で再び連絡するときの方法と問い合わせ番号

## ご注意(C1~C4, A13, A14, D6)。$when は情報元の日付と、カード作成時点でのその古さです。

card-caveat-title = ご注意
card-caveat-body =
    情報元は、一人の方が{ $when }に認証窓口へ電話した記録で、聞き違いもありえ、Microsoftの発表もありません。
    このカードはMicrosoftの公式見解ではない助言で、判断できるのは認証窓口だけです(回答は人や時期で変わりえます)。

## 情報元の行と情報の種類

card-source-line = 情報元{ $id }:{ $date } { $title }({ $facts })
card-source-line-undated = 情報元{ $id }:{ $title }({ $facts })
# 引用した事実のまとまり(例:「窓口の回答:B2」)。区切りは文字列リテラルで指定します。
card-fact-group = { $kind }:{ $ids }
card-fact-separator = {"/"}
card-kind-desk = 窓口の回答
card-kind-author = 筆者の見解
card-kind-outside = 一般的な情報
card-kind-note = 本ボットの方針

## 日付、古さ、時刻(プログラムが計算して渡します)

# $month は jan ~ dec です。
card-date = { $year }年{ $month ->
    [jan] 1
    [feb] 2
    [mar] 3
    [apr] 4
    [may] 5
    [jun] 6
    [jul] 7
    [aug] 8
    [sep] 9
    [oct] 10
    [nov] 11
   *[dec] 12
}月{ $day }日
# カード作成時点から見た古さ。$unit で言い方を選びます。
card-age = { $unit ->
    [today] 当日
    [day] 1日前
    [days] { $n }日前
    [month] 約1か月前
    [months] 約{ $n }か月前
    [year] 約1年前
    [years] 約{ $n }年前
    [year-half] 約1年半前
   *[years-half] 約{ $n }年半前
}
# 日付と古さ(例:「2024年11月28日と2024年12月6日(約2年前)」)。
card-dated = { $dates }({ $age })
card-and = {"と"}
# ターミナルでの作成日時。$zone は japan、utc、named($name がタイムゾーン名)、offset です。
card-local-time = { $date } { $time }({ $zone ->
    [japan] 日本時間
    [utc] 協定世界時
    [named] { $name }、UTC{ $offset }
   *[offset] UTC{ $offset }
})

## 選んだライセンスの経緯に応じて、説明のあとに加える一文(D1, A1)

note-win10-support-ended = Windows 10のサポートは2025年10月14日に終了しています(Microsoftの公開情報)。
note-win10-support-ended-if-still = Windows 10のままなら、サポートは2025年10月14日に終了しています(Microsoftの公開情報)。
note-digital-license = Microsoftアカウントのデジタルライセンスがあっても無償アップグレード版は守られないと、認証窓口は回答しています(情報元A)。
note-digital-license-if-free-upgrade = 無償アップグレード版なら、Microsoftアカウントのデジタルライセンスがあっても守られないと認証窓口は回答しています(情報元A)。

## フッターと進行表示

card-generated = 作成日時:{ $generated }
card-rules-version = ルール { $version }({ $review_by }までに見直し予定)
progress = 質問 { $number }(最大 { $at_most } 問)
