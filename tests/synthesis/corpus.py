"""Tiny corpora written for the tests: four ideas said in MSA, Darija (Arabic script and
Arabizi), French and Tifinagh, with metadata to profile."""

WATER = {
    "ar": "الماء مقطوع في القرية منذ أسبوع ولا أحد يهتم بإصلاح القنوات",
    "ary": "الماء مقطوع عندنا فالدوار من سيمانة وحتى واحد ما جا يصلح القنوات",
    "fr": (
        "L'eau est coupée dans le village depuis une semaine "
        "et personne ne répare les canalisations"
    ),
    "ary-Latn": "lma m9tou3 f douar hadi simana w 7ta wa7d ma bgha ysle7 lqwadis",
    "zgh": "ⴰⵎⴰⵏ ⴱⴱⵉⵏ ⴳ ⵓⴷⵡⴰⵔ ⵙⴳ ⵉⵎⴰⵍⴰⵙ",
}
SCHOOL = {
    "ar": "المدرسة بعيدة جدا عن القرية والأطفال يمشون ساعتين كل يوم للوصول إليها",
    "ary": "المدرسة بعيدة بزاف على الدوار والدراري كيمشيو جوج سوايع كل نهار باش يوصلو ليها",
    "fr": (
        "L'école est très loin du village et les enfants marchent "
        "deux heures chaque jour pour y arriver"
    ),
    "ary-Latn": "lmadrasa b3ida bzaf 3la douar w drari kaymchiw jouj swaye3 kol nhar",
    "zgh": "ⵜⵉⵎⵣⴳⵉⴷⴰ ⵜⵓⴳⴳⵓⴳ ⵙⴳ ⵓⴷⵡⴰⵔ",
}
DOCTOR = {
    "ar": "نحتاج إلى طبيب في المستوصف لأن المرضى يسافرون إلى المدينة للعلاج",
    "ary": "خاصنا طبيب فالسبيطار حيت المراض كيمشيو للمدينة باش يتعالجو",
    "fr": (
        "Nous avons besoin d'un médecin au dispensaire "
        "car les malades vont en ville pour se soigner"
    ),
    "ary-Latn": "khassna tbib f sbitar 7it lmrad kaymchiw l mdina bach yt3aljo",
    "zgh": "ⵏⵔⵉⵏ ⴰⵎⵙⵏⴰⵢ ⴳ ⵓⵙⴳⵏⴼ",
}
JOBS = {
    "ar": "الشباب بدون عمل ونطالب بخلق فرص الشغل في المنطقة",
    "ary": "الشباب ما عندهومش خدمة وبغينا يخلقو فرص ديال الخدمة فالمنطقة",
    "fr": "Les jeunes sont sans emploi et nous demandons la création d'emplois dans la région",
    "ary-Latn": "chabab ma 3ndhomch khedma w bghina ykhal9o forass dyal khedma f lmanti9a",
    "zgh": "ⵉⵎⴰⵡⴰⵏ ⵓⵔ ⵖⵓⵔⵙⵏ ⵜⴰⵡⵓⵔⵉ",
}
IDEAS = {"water": WATER, "school": SCHOOL, "doctor": DOCTOR, "jobs": JOBS}
PROVINCES = ["Agadir", "Tiznit", "Taroudant", "Agadir", "Tiznit"]


def records(languages=("ar", "ary", "fr"), ideas=tuple(IDEAS)):
    """One record per idea and language, with an id saying which (``water-ar``)."""
    out = []
    for idea in ideas:
        for k, language in enumerate(languages):
            out.append(
                {
                    "id": f"{idea}-{language}",
                    "text": IDEAS[idea][language],
                    "province": PROVINCES[k % len(PROVINCES)],
                    "actor_type": "citizen" if k % 2 else "association",
                }
            )
    return out
