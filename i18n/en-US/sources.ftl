### Short descriptions of the sources the answer cards cite. A card shows each as
### "Source A: November 28, 2024, (this description)", after its date.

source-a = the article author's call to the activation desk
source-b = the same author's call to the activation desk
source-c = this bot's caveat
source-d = public information, as checked that day
