"""Stop-words for key phrases: MSA and Darija (after light normalisation: no hamza on alef,
no diacritics), and French (lower case, with and without accents)."""

from __future__ import annotations

ARABIC = frozenset(
    """
    في من الي علي عن مع ان او ام ثم بل لا لم لن ما ماذا لماذا كيف اين متي هل قد لقد كان كانت
    يكون تكون كانوا هو هي هم هن انا نحن انت انتم انتما هذا هذه ذلك تلك هؤلاء اولئك الذي التي
    الذين اللذين اللتين اللواتي كل بعض غير بين عند عندما حتي اذا اذ لو لكن لان كما مثل قبل بعد
    فوق تحت امام خلال حول ضد دون منذ الا اما اي ايضا جدا فقط كذلك هناك هنا حيث فيه فيها منه
    منها عليه عليها اليه اليها به بها لها له لهم لنا لي بهم بنا فيهم عنه عنها وقد وهو وهي وفي
    ومن وما ولا وان وكان وكانت والتي والذي يجب يمكن ليس ليست وهذا وهذه كلها وكل تم ذات او
    ديال ديالي ديالنا ديالهم ديالو ديالك باش بزاف خاص خاصنا كاين كاينه واش شنو علاش فين دابا
    هادي هادا هاد هادو داك ديك ماشي غادي غاد شي حتا والو بلا راه حنا نتوما هوما ليهم ليه ليا
    عندنا عندهم فال فالم واحد وحده هاذ هاذي اللي لي علا فهاد مكاينش ماكاينش كنا كانو بحال حيت
    ف ب ل و ك يا اه لا نعم ايه
    ديالها ديالهوم ديالكم كاملين كامل كامله غير راه راهم راها راني واش باش
    ولا وله باقي بغينا بغيت بغاو كنبغيو كيبغيو كاينين كاينه عندو عندها عندي عندك
    ماعندناش ماعندهمش هاديك هاداك هدا هدي هادوك فينا منو معانا معاهم
    علينا عليهم ليها ليهوم لينا كيفاش شحال قداش بحالنا بحالهم يعني مثلا داكشي هادشي
    كولشي كلشي شويه نديرو ندير يدير يديرو تدير كيدير كنديرو ديرو دير خاصو خاصها خاصهم
    كاع ابدا اكثر اقل جميع عده احد اخري اخر بان بانه انه انها لانه لانها حين حينما
    لدي لدينا لديهم عليكم وفي وعلي ومع وهم ولكن لكي كي بسبب نحو اجل عبر ضمن سوي
    مازال مازالت مزال لازم لازال والا وحتا غادين غاديين رغم برغم الذي اللي نتاع نتاعو نتاعها
    """.split()  # noqa: SIM905 (a word list reads best as words)
)

FRENCH = frozenset(
    """
    a à au aux avec ce ces c ça cela celle celles celui ceux cet cette d dans de des du elle
    elles en et eux il ils je j l la le les leur leurs lui m ma mais me même mes moi mon n ne
    ni nos notre nous on ou où par pas pour qu que qui s sa se ses si son sur t ta te tes toi
    ton tu un une vos votre vous y est sont été être avoir ai as avons avez ont a eu fait faire
    plus moins très trop tout tous toute toutes aussi alors donc car comme quand sans sous chez
    entre vers depuis pendant avant après encore déjà ici là cest cest-à-dire qu il y a ya
    doit doivent peut peuvent faut il-y-a etc afin ainsi dont leurs lors quelque quelques
    autre autres même mêmes chaque beaucoup bien non oui être était étaient sera seront
    aucun aucune certains certaines plusieurs tel telle tels telles ceci celui-ci
    lesquels laquelle lequel duquel auquel auxquels dès selon parmi contre sauf
    toujours jamais souvent parfois rien personne peu assez tant tellement vraiment
    fois aujourd'hui avait avaient aurait auraient serait seraient soit
    fallait devrait devraient pourrait pourraient veut veulent va vont
    nôtre vôtre ci ceux-ci ceux-là puis enfin surtout notamment
    comment pourquoi quel quelle quels quelles combien lorsque puisque quoi agit s'agit
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
