package simulator

// Text corpora and territories for synthetic customer reviews. Everything here is data;
// reviews_gen.go combines it deterministically.

// reviewTerritory is a storefront reviews come from: alpha-3 code, weight, language,
// standard UTC offset in minutes, whether it observes summer time (+1 h) and in which
// hemisphere, the currency for the territories resource.
type reviewTerritory struct {
	code     string
	weight   int
	lang     string
	offsets  []int // standard offsets in minutes east of UTC (one is picked per review)
	dst      int   // 0 none, 1 northern summer (Apr–Oct), 2 southern summer (Oct–Mar)
	currency string
}

var reviewTerritories = []reviewTerritory{
	{"USA", 36, "en", []int{-300, -360, -420, -480, -600}, 1, "USD"},
	{"GBR", 8, "en", []int{0}, 1, "GBP"},
	{"CAN", 4, "en", []int{-300, -480, -210}, 1, "CAD"},
	{"AUS", 4, "en", []int{600, 480, 570}, 2, "AUD"},
	{"NZL", 1, "en", []int{720}, 2, "NZD"},
	{"IND", 4, "en", []int{330}, 0, "INR"},
	{"NPL", 1, "en", []int{345}, 0, "NPR"},
	{"ISL", 1, "en", []int{0}, 0, "ISK"},
	{"DEU", 8, "de", []int{60}, 1, "EUR"},
	{"AUT", 1, "de", []int{60}, 1, "EUR"},
	{"CHE", 1, "de", []int{60}, 1, "CHF"},
	{"FRA", 6, "fr", []int{60}, 1, "EUR"},
	{"JPN", 8, "ja", []int{540}, 0, "JPY"},
	{"KOR", 3, "ko", []int{540}, 0, "KRW"},
	{"CHN", 4, "zh", []int{480}, 0, "CNY"},
	{"TWN", 1, "zh", []int{480}, 0, "TWD"},
	{"BRA", 3, "pt", []int{-180}, 0, "BRL"},
	{"MEX", 2, "es", []int{-360}, 0, "MXN"},
	{"ESP", 2, "es", []int{60}, 1, "EUR"},
	{"SAU", 2, "ar", []int{180}, 0, "SAR"},
	{"ARE", 1, "ar", []int{240}, 0, "AED"},
	{"ISR", 2, "he", []int{120}, 1, "ILS"},
}

// reviewTerritoryCodes are the alpha-3 codes filter[territory] accepts (the spec's
// TerritoryCode enum).
const reviewTerritoryCodes = "ABW AFG AGO AIA ALB AND ANT ARE ARG ARM ASM ATG AUS AUT AZE BDI BEL BEN BES BFA BGD " +
	"BGR BHR BHS BIH BLR BLZ BMU BOL BRA BRB BRN BTN BWA CAF CAN CHE CHL CHN CIV CMR COD COG COK COL COM CPV " +
	"CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESP EST ETH FIN FJI FLK FRA FRO FSM GAB " +
	"GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY HKG HND HRV HTI HUN IDN IMN IND IRL " +
	"IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX " +
	"LVA MAC MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM NCL " +
	"NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PER PHL PLW PNG POL PRI PRT PRY PSE PYF QAT REU ROU " +
	"RUS RWA SAU SEN SGP SHN SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC TCA TCD TGO THA " +
	"TJK TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM VUT WLF WSM XKS " +
	"YEM ZAF ZMB ZWE"

// corpus is the text material of one language.
type corpus struct {
	posTitles, negTitles, midTitles []string
	pos, neg                        []string // body sentences
	nicks                           []string
	thanks, sorry                   []string // developer responses
	sign                            string
}

var corpora = map[string]*corpus{
	"en": {
		posTitles: []string{"Awesome!!!", "Best app I've ever used", "Does exactly what it says", "Love it", "5 stars, no question", `Finally an app that "just works"`},
		negTitles: []string{"Crashes constantly", "Waste of money", "Latest update broke everything", "Please fix sync", "Used to be great…"},
		midTitles: []string{"Good but…", "Decent", "Almost there", "OK for the price"},
		pos: []string{"It's a really fantastic app!", "I use it every single day.", "The widgets are gorgeous and the dark mode is perfect.",
			"Support answered within an hour — impressive.", "Worth every penny, and I don't say that often.", "My whole family uses it now.",
			`My daughter calls it "the magic notebook".`, "Syncs flawlessly between my iPhone and iPad."},
		neg: []string{"It crashes every time I open the settings.", "Since the last update my data is gone.", "The subscription is way too expensive for what it does.",
			"Ads everywhere, even after I paid.", "Sync between devices doesn't work at all.", "I can't even log in anymore.",
			"Customer support never replied to my three e-mails.", "The font is tiny and can't be changed."},
		nicks: []string{"Anne Johnson", "mike_1987", "HappyCamper", "J.R.", "o'brien.sean", "Dr. \"Dee\" Parker", "tired dad", "KayKay", "frank\\the\\tank", "Priya S."},
		thanks: []string{"Hi! Thanks so much for the kind words. We're thrilled you enjoy the app.", "Thank you for taking the time to leave a review!",
			"Thanks a lot! Tell your friends 🙂"},
		sorry: []string{"We're sorry to hear that. Please contact us at support@ascetl.example so we can help.",
			"Sorry about the trouble! Version 3.2 fixes the crash you describe — please update and let us know.",
			"We hear you. Could you send us your device model and iOS version? We'd like to look into this."},
		sign: "— The Ascetl Labs team",
	},
	"de": {
		posTitles: []string{"Super App!", "Genau das, was ich gesucht habe", "Große Klasse", "Fünf Sterne – verdient", "Übersichtlich & schnell"},
		negTitles: []string{"Stürzt ständig ab", "Leider enttäuschend", "Nach dem Update unbrauchbar", "Zu teuer"},
		midTitles: []string{"Ganz okay", "Gut, aber ausbaufähig", "Solide"},
		pos: []string{"Ich nutze die App täglich und bin sehr zufrieden.", "Die Bedienung ist intuitiv, auch für meine Großeltern.",
			"Endlich eine App ohne Werbung – danke!", "Die Synchronisierung über iCloud funktioniert einwandfrei.", "Preis-Leistung stimmt."},
		neg: []string{"Seit dem letzten Update stürzt die App beim Öffnen ab.", "Meine Einträge sind plötzlich verschwunden.",
			"Das Abo ist viel zu teuer.", "Der Support antwortet nicht.", "Die Schrift ist viel zu klein."},
		nicks:  []string{"Jürgen M.", "Müller_Lüdenscheidt", "Straßenbahnfan", "Björn", "Käthe2003"},
		thanks: []string{"Vielen Dank für die tolle Bewertung!", "Herzlichen Dank – das freut uns sehr!"},
		sorry: []string{"Das tut uns leid. Bitte schreib uns an support@ascetl.example, wir helfen gern.",
			"Danke für den Hinweis! Das Problem ist in Version 3.2 behoben."},
		sign: "Viele Grüße\nIhr Ascetl-Team",
	},
	"fr": {
		posTitles: []string{"Génial !", "Très pratique", "Je recommande vivement", "Parfait pour le quotidien"},
		negTitles: []string{"Plante sans arrêt", "Déçu…", "Trop cher", "Mise à jour catastrophique"},
		midTitles: []string{"Pas mal", "Bien mais peut mieux faire"},
		pos: []string{"L'application est très bien conçue, bravo à l'équipe !", "Je m'en sers tous les jours au travail.",
			"Simple, rapide et efficace.", "Le mode sombre est très réussi.", "Enfin une appli « qui marche »."},
		neg: []string{"L'application plante dès que j'ouvre les réglages.", "Depuis la dernière mise à jour, impossible de me connecter.",
			"L'abonnement est beaucoup trop cher.", "Aucune réponse du support après deux semaines."},
		nicks:  []string{"Chloé_B", "François", "Zoé ✨", "l'Écureuil", "Hélène D."},
		thanks: []string{"Merci beaucoup pour votre avis !", "Un grand merci, cela nous fait très plaisir."},
		sorry: []string{"Nous sommes désolés. Écrivez-nous à support@ascetl.example et nous vous aiderons.",
			"Merci pour votre retour ! Le problème est corrigé dans la version 3.2."},
		sign: "L'équipe Ascetl",
	},
	"ja": {
		posTitles: []string{"最高のアプリ！", "毎日使っています", "とても便利", "神アプリ✨", "シンプルで使いやすい"},
		negTitles: []string{"すぐに落ちる", "アップデート後に使えない", "課金が高すぎる", "同期ができません"},
		midTitles: []string{"まあまあ", "惜しい", "普通"},
		pos: []string{"毎日の記録にとても役立っています。", "デザインが綺麗で、動作も軽いです。", "iPhoneとiPadの同期が完璧です。",
			"サポートの対応も早くて助かりました。", "ウィジェットが可愛い！"},
		neg: []string{"設定画面を開くと必ずクラッシュします。", "最新のアップデートでデータが消えました。", "サブスクが高すぎます。",
			"広告が多すぎて使いにくいです。", "ログインできなくなりました。"},
		nicks:  []string{"さくら", "たなか太郎", "ねこ好き🐈", "ゆうき123", "通りすがりの名無し"},
		thanks: []string{"ご利用いただきありがとうございます！", "素敵なレビューをありがとうございます。今後ともよろしくお願いいたします。"},
		sorry: []string{"ご不便をおかけして申し訳ございません。support@ascetl.example までご連絡ください。",
			"ご報告ありがとうございます。バージョン3.2で修正いたしました。"},
		sign: "Ascetl Labs サポートチーム",
	},
	"ko": {
		posTitles: []string{"최고예요!", "정말 유용한 앱", "강력 추천합니다", "매일 써요"},
		negTitles: []string{"자꾸 꺼져요", "업데이트 후 안 됩니다", "너무 비싸요"},
		midTitles: []string{"괜찮아요", "보통이에요"},
		pos:       []string{"디자인이 깔끔하고 사용하기 편해요.", "아이폰과 아이패드 동기화가 완벽해요.", "광고가 없어서 좋아요."},
		neg:       []string{"설정을 열면 앱이 종료됩니다.", "업데이트 후 데이터가 사라졌어요.", "고객센터 답변이 없어요."},
		nicks:     []string{"김민준", "하늘별", "코코💕", "jiwoo_park"},
		thanks:    []string{"소중한 리뷰 감사합니다!", "좋게 봐주셔서 감사합니다 😊"},
		sorry:     []string{"불편을 드려 죄송합니다. support@ascetl.example 로 연락 주세요.", "버전 3.2에서 문제를 해결했습니다. 업데이트 부탁드립니다."},
		sign:      "Ascetl Labs 드림",
	},
	"zh": {
		posTitles: []string{"非常好用！", "五星好评", "界面简洁", "强烈推荐👍"},
		negTitles: []string{"闪退严重", "更新后无法使用", "太贵了", "同步失败"},
		midTitles: []string{"还可以", "一般般"},
		pos:       []string{"每天都在用，非常方便。", "界面设计很漂亮，操作流畅。", "iPhone和iPad同步完美。", "客服回复很快，点赞！"},
		neg:       []string{"打开设置就闪退。", "更新以后数据全没了。", "订阅价格太高了。", "广告太多，体验很差。"},
		nicks:     []string{"小明", "王大锤", "快乐的猫🐱", "李_静", "匿名用户"},
		thanks:    []string{"感谢您的支持与好评！", "谢谢您的评价，我们会继续努力！"},
		sorry:     []string{"非常抱歉给您带来不便，请联系 support@ascetl.example。", "感谢反馈！该问题已在 3.2 版本中修复。"},
		sign:      "Ascetl Labs 团队",
	},
	"pt": {
		posTitles: []string{"Excelente!", "Muito bom", "Recomendo demais", "Perfeito 😍"},
		negTitles: []string{"Trava toda hora", "Não funciona mais", "Caro demais"},
		midTitles: []string{"Razoável", "Bom, mas pode melhorar"},
		pos:       []string{"Uso todos os dias, é muito prático.", "A interface é linda e fácil de usar.", "A sincronização funciona perfeitamente."},
		neg:       []string{"O app fecha sozinho quando abro as configurações.", "Depois da atualização perdi todos os dados.", "A assinatura é cara demais."},
		nicks:     []string{"João Paulo", "Ana_Luíza", "Conceição", "zé da padaria"},
		thanks:    []string{"Muito obrigado pela avaliação!", "Ficamos felizes que você gostou!"},
		sorry:     []string{"Sentimos muito. Escreva para support@ascetl.example que vamos ajudar.", "Obrigado pelo aviso! Corrigimos isso na versão 3.2."},
		sign:      "Equipe Ascetl",
	},
	"es": {
		posTitles: []string{"¡Excelente!", "Muy útil", "¡Me encanta!", "La mejor app del año"},
		negTitles: []string{"Se cierra sola", "No funciona después de actualizar", "¿Por qué tan cara?"},
		midTitles: []string{"Está bien", "Buena, pero le falta"},
		pos:       []string{"La uso a diario y funciona de maravilla.", "El diseño es precioso y muy intuitivo.", "¡Por fin una app sin anuncios!"},
		neg:       []string{"Se cierra cada vez que abro los ajustes.", "Con la última actualización perdí mis datos.", "La suscripción es carísima."},
		nicks:     []string{"Begoña", "Íñigo R.", "Mañanitas", "la_güera"},
		thanks:    []string{"¡Muchas gracias por tu reseña!", "¡Gracias! Nos alegra mucho que te guste."},
		sorry:     []string{"Lamentamos las molestias. Escríbenos a support@ascetl.example.", "¡Gracias por avisar! Lo corregimos en la versión 3.2."},
		sign:      "El equipo de Ascetl",
	},
	"ar": {
		posTitles: []string{"تطبيق رائع!", "ممتاز جداً", "أنصح به بشدة", "خمس نجوم ⭐"},
		negTitles: []string{"يتوقف باستمرار", "سيء بعد التحديث", "غالي جداً"},
		midTitles: []string{"جيد", "لا بأس به"},
		pos: []string{"أستخدم التطبيق كل يوم وهو مفيد جداً.", "التصميم جميل وسهل الاستخدام.", "المزامنة بين iPhone و iPad ممتازة.",
			"شكراً لفريق العمل على النسخة 3.2!"},
		neg:    []string{"يتوقف التطبيق عند فتح الإعدادات.", "اختفت بياناتي بعد آخر تحديث.", "الاشتراك غالي جداً مقارنة بالميزات."},
		nicks:  []string{"محمد", "نورة_٢٠٢٣", "أبو خالد", "سارة 🌸"},
		thanks: []string{"شكراً جزيلاً على تقييمك!", "سعداء بأن التطبيق نال إعجابك."},
		sorry:  []string{"نعتذر عن الإزعاج. يرجى التواصل معنا على support@ascetl.example", "شكراً لملاحظتك! تم إصلاح المشكلة في الإصدار 3.2."},
		sign:   "فريق Ascetl Labs",
	},
	"he": {
		posTitles: []string{"אפליקציה מעולה!", "ממליץ בחום", "פשוט וטוב", "חמישה כוכבים"},
		negTitles: []string{"קורסת כל הזמן", "לא עובדת אחרי העדכון", "יקר מדי"},
		midTitles: []string{"בסדר", "טוב, אבל…"},
		pos:       []string{"אני משתמש באפליקציה כל יום.", "העיצוב יפה ונוח מאוד.", "הסנכרון בין iPhone ל-iPad עובד מצוין."},
		neg:       []string{"האפליקציה קורסת כשפותחים את ההגדרות.", "אחרי העדכון האחרון כל הנתונים נמחקו.", "המנוי יקר מדי."},
		nicks:     []string{"דני", "מיכל כ.", "יוסי_123", "נועה 🎈"},
		thanks:    []string{"תודה רבה על הביקורת!", "שמחים שנהנית מהאפליקציה!"},
		sorry:     []string{"מצטערים על התקלה. נא לפנות אלינו ב-support@ascetl.example", "תודה על הדיווח! הבעיה תוקנה בגרסה 3.2."},
		sign:      "צוות Ascetl",
	},
}

// Spices make texts awkward for loaders: multi-codepoint emoji, quotes, backslashes,
// tabs, characters HTML escapers touch, a line separator.
var (
	reviewEmoji = []string{"👍🏽", "👨‍👩‍👧", "❤️", "🇯🇵", "😂", "🔥", "🙏🏿", "👩🏻‍💻", "⭐️⭐️⭐️⭐️⭐️", "🤦‍♂️", "🏳️‍🌈", "😡"}
	reviewOdd   = []string{
		`Exported to C:\Users\me\Documents\backup.csv and it worked.`,
		`¯\_(ツ)_/¯`,
		"Pros:\tfast\nCons:\tpricey",
		`The "Pro" unlock isn't "pro" at all.`,
		"<3 this app & its <b>bold</b> design",
		"Tip: use \\n in templates to add line breaks.",
		"Line one\u2028line two (after a line separator).",
		`She said: 'It\'s fine'.`,
		"Rating:\t★★★★☆",
	}
)
