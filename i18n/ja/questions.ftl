### ボットがPCについて尋ねる質問、そのヒント、選択肢のボタンのラベル(value-<fact>-<value>)。
### ラベルはボタンにそのまま表示されます。20字以内で、答えそのものを書いてください。
### ヒントでラベルを引用するときは、ボタンの表示と一字一句同じにしてください
### (activation-check rules check が確かめます)。

## ご相談の内容

q-concern = ご相談の内容にいちばん近いものを選んでください。
value-concern-lost-activation = 認証が外れた・再認証を求められた
value-concern-planning-update = 機能更新(25H2など)を入れる前
value-concern-hardware-change = 部品の交換・別のPCへの移行
value-concern-reinstall = 同じPCに再インストール
value-concern-virtual-machine = Hyper-Vの仮想マシンで使う
value-concern-check-risk = 今は認証済み。備えを知りたい

## ライセンスの経緯

q-license-origin = このPCのWindowsライセンスは、どのように手に入れたものですか?
q-license-origin-help =
    ・「購入時からWindows 11」:Windows 11付きのPCか、購入したWindows 11のライセンスです。
    ・「購入時からWindows 10」:Windows 10付きのPCか購入したライセンスで、今もWindows 10を使っている場合です。
    ・「購入時の10から11へ無償アップグレード」:そのWindows 10を、Windows 11へ無償アップグレードした場合です。
    ・「7/8.1から無償アップグレード」:最初はWindows 7か8.1で、10や11へ無償アップグレードした場合です。
    はっきりしないときは「わからない」を選んでください。
value-license-origin-preinstalled-win11 = 購入時からWindows 11
value-license-origin-native-win10 = 購入時からWindows 10
value-license-origin-free-upgrade-win10 = 購入時の10から11へ無償アップグレード
value-license-origin-free-upgrade-win7-8 = 7/8.1から無償アップグレード
value-license-origin-unknown = わからない

## 電話認証の画面のインストールID(D4)

q-installation-id = 電話認証の画面に、インストールIDが表示されますか?
q-installation-id-help =
    Win+Rキーを押し、「slui 4」と入力してEnterキーを押してください。
    国または地域を選ぶと、インストールIDが数字のグループで表示されます。
    「設定」のライセンス認証の画面には、電話の項目が出ないことがあります。
    画面を開けなかったときや自信がないときは、「確認できなかった」を選んでください。
value-installation-id-shown-yes = はい、表示される
value-installation-id-shown-no = いいえ、表示されない
value-installation-id-shown-not-checked = 確認できなかった

## トラブルシューティングと自動音声の電話認証

q-self-service = トラブルシューティングと、自動音声の電話認証は試しましたか?
q-self-service-help =
    トラブルシューティングは、「設定」のライセンス認証の画面から実行できます。
    自動音声の電話認証は、slui 4の画面に表示される番号にかけて行います。
value-self-service-activation-not-tried = まだ試していない
value-self-service-activation-troubleshooter-failed = トラブルシューティングだけ失敗
value-self-service-activation-all-failed = 両方とも失敗した

## システムバックアップ

q-system-backup = Windowsが認証済みだったときに取った、このPCのシステムバックアップはありますか?
q-system-backup-help =
    Windowsのドライブ全体を復元できるイメージのことです。
    このPCで、認証済みと表示されていた時期に作ったものに限ります。
    文書や写真など、ファイルだけのコピーは含みません。
value-system-backup-yes = ある
value-system-backup-no = ない

## ハードウェアの変更

q-hardware-change = 何が変わりましたか(これからの予定も含みます)?
q-lost-hardware = 認証が外れる前に、部品の交換や別のPCへの移行をしましたか?
# 上の2つの質問で共通のヒントです。
q-hardware-change-help =
    修理でM/BといっしょにCPUも交換した場合も、「修理でM/B(マザーボード)交換」を選んでください。
    修理ではなく、性能向上などのためのM/B交換は「ほかの部品を交換」です。
value-hardware-change-motherboard-repair = 修理でM/B(マザーボード)交換
value-hardware-change-other-parts = ほかの部品を交換
value-hardware-change-new-pc = 新しいPCへ移行
value-hardware-change-none = 何も交換していない

## Hyper-V

q-vm-disk = 仮想マシンは新しく作りますか?それとも既存の仮想ディスク(VHD)を使い回しますか?
value-vm-disk-new-vm = 新しく作る
value-vm-disk-reused-vhd = 既存のVHDを使い回す
