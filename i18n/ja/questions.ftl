### ボットがPCについて尋ねる質問、そのヒント、回答ボタンのラベル(value-<fact>-<value>)。
### ラベルはボタンに表示されるため、短くしてください。

## ご相談の内容

q-concern = 今回のご相談にいちばん近いものを選んでください。
value-concern-lost-activation = ライセンス認証が外れた(再認証を求められる)
value-concern-planning-update = 機能更新(24H2など)をこれから入れる
value-concern-hardware-change = 部品を交換した/別のPCへ移行する
value-concern-reinstall = 同じPCにWindowsを再インストールする
value-concern-virtual-machine = Hyper-Vの仮想マシンでWindowsを使う
value-concern-check-risk = 今は認証済み。失うリスクを知りたい

## ライセンスの経緯

q-license-origin = このPCのWindowsライセンスは、どのような経緯で入手したものですか?
q-license-origin-help =
    ・「Windows 11付きで購入」:Windows 11搭載で販売されたPC、またはWindows 11のライセンスを購入した場合です。
    ・「Windows 10付きで購入」:Windows 10搭載で販売されたPC、またはWindows 10のライセンスを購入した場合です。今も10のままか、11へ無償アップグレードしたかで選んでください。
    ・「Windows 7/8.1から無償アップグレード」:最初はWindows 7か8.1で、その後10や11へ無償アップグレードした場合です。
    はっきりしない場合は「わからない」を選んでください。
value-license-origin-preinstalled-win11 = Windows 11付きで購入した
value-license-origin-native-win10 = Windows 10付きで購入し、10のまま使用
value-license-origin-free-upgrade-win10 = Windows 10付きで購入し、11へ無償アップグレード
value-license-origin-free-upgrade-win7-8 = Windows 7/8.1から無償アップグレード
value-license-origin-unknown = わからない

## 電話認証のインストールID

q-installation-id = ライセンス認証画面で電話認証を選んだとき、インストールIDが数字のグループに分かれて表示されますか?
q-installation-id-help =
    「設定」→「システム」→「ライセンス認証」(Windows 10では「設定」→「更新とセキュリティ」→「ライセンス認証」)を開き、電話で認証する項目を探してください。
    確認したいのは、インストールIDが数字のグループごとに表示されているかどうかだけです。桁数を数える必要はありません。
value-installation-id-shown-yes = はい、表示される
value-installation-id-shown-no = いいえ、表示されない

## トラブルシューティングと自動音声の電話認証

q-self-service = トラブルシューティングと、自動音声の電話認証は試しましたか?
value-self-service-activation-not-tried = まだ試していない
value-self-service-activation-troubleshooter-failed = トラブルシューティングは失敗、電話はまだ
value-self-service-activation-all-failed = 両方とも失敗した

## システムバックアップ

q-system-backup = Windowsが認証済みだったときに取得した、このPCのシステムバックアップ(イメージ)はありますか?
q-system-backup-help =
    ここでいうシステムバックアップとは、このPCでWindowsが認証済みと表示されていた時期に作成した、Windowsドライブ全体の復元できるイメージのことです。文書や写真など、ファイルだけのコピーは含みません。
value-system-backup-yes = ある
value-system-backup-no = ない

## ハードウェアの変更

q-hardware-change = 何を変更しましたか(または、これから変更しますか)?
value-hardware-change-motherboard-repair = 修理でマザーボードを交換(必要ならCPUも)
value-hardware-change-other-parts = その他の部品(修理以外のマザーボード交換を含む)
value-hardware-change-new-pc = 新しいPCへ移行する

## Hyper-V

q-vm-disk = 仮想マシンは新しく作成しますか?それとも既存の仮想ディスク(VHD)を使い回しますか?
value-vm-disk-new-vm = 新しく仮想マシンを作る
value-vm-disk-reused-vhd = 既存のVHDを使い回す
