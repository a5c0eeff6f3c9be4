-- topics_taxonomy.lua - the human-rights topics that topics.lua labels
-- documents and sections with, and the cue phrases that signal each one.
--
-- This file is data: edit it, or copy it under another name and give
-- that name as the stage's `taxonomy` option (see docs/topics.md).
--
-- Each topic has an `id` (the label name users see and route on), a
-- human-readable `name`, and `cues`: lists that start with a weight and go
-- on with the phrases that carry it.
--
--   3  the phrase alone says the text is about the topic ("torture",
--      "political prisoner");
--   2  a strong sign, rarely used in passing ("penal colony", "polling
--      station");
--   1  context that adds up only with other cues ("prison", "vote");
--  <0  boilerplate that names the topic's words without being about it
--      (the closing paragraph of every resolution names the Council).
--
-- A text gets a topic when the weights of the cues found in it add up to
-- the stage's threshold (3 by default): one strong cue, or several weaker
-- ones. Phrases match whole words, ignoring case and diacritics; list
-- every inflected form you want found ("detainee", "detainees"). The
-- longest phrase wins where two overlap, so "freedom of the media" is
-- one cue, not also "media". A phrase may appear under several topics:
-- it then counts for each of them.

return {
  {
    id = "torture",
    name = "Torture and ill-treatment",
    cues = {
      {3, "torture", "tortured", "torturing", "tortures", "ill-treatment",
          "ill-treated", "ill treatment", "mistreatment", "maltreatment",
          "Convention against Torture", "cruel, inhuman or degrading treatment",
          "inhuman or degrading treatment", "inhuman and degrading treatment",
          "Committee against Torture", "torture victims", "torture victim",
          "national preventive mechanism", "Coalition Against Torture"},
      {2, "beaten", "beating", "beatings", "penal colony", "penal colonies",
          "penitentiary", "died in custody", "death in custody",
          "deaths in custody", "forced confession", "forced confessions",
          "electric shocks", "solitary confinement", "enforced disappearance",
          "enforced disappearances", "prison conditions", "psychological pressure",
          "impunity"},
      {1, "prison", "prisons", "custody", "detention facility",
          "detention facilities", "detention centre", "detention centres",
          "interrogation", "guards", "inmates", "abuses", "violence"},
    },
  },
  {
    id = "political_prisoners",
    name = "Political prisoners and arbitrary detention",
    cues = {
      {3, "political prisoner", "political prisoners", "prisoner of conscience",
          "prisoners of conscience", "arbitrary detention", "arbitrarily detained",
          "arbitrary arrest", "arbitrary arrests", "politically motivated",
          "politically-motivated", "Working Group on Arbitrary Detention",
          "unconditional release", "release all political prisoners"},
      {2, "detained", "detention", "detainee", "detainees", "imprisonment",
          "imprisoned", "sentenced", "pre-trial detention", "house arrest",
          "release", "released", "convicted", "conviction", "charges",
          "fair trial", "right to a fair trial", "political trial",
          "political trials", "persecution", "persecuted"},
      {1, "arrest", "arrested", "arrests", "prison", "prisoners", "court",
          "trial", "lawyer", "lawyers", "verdict", "in absentia"},
    },
  },
  {
    id = "expression",
    name = "Freedom of expression and media",
    cues = {
      {3, "freedom of expression", "free speech", "freedom of speech",
          "media freedom", "freedom of the media", "freedom of the press",
          "press freedom", "journalist", "journalists", "censorship",
          "World Press Freedom Index", "Reporters Without Borders",
          "Representative on Freedom of the Media", "false information",
          "spreading false information", "dissemination of false information"},
      {2, "independent media", "media outlets", "media outlet", "blogger",
          "bloggers", "editor", "newspaper", "newspapers", "reporter",
          "reporters", "broadcaster", "accreditation", "blocking of websites",
          "blocked websites", "internet shutdown", "internet shutdowns",
          "social media", "defamation", "insult", "access to information"},
      {1, "media", "press", "internet", "online", "websites", "publication",
          "published", "information"},
    },
  },
  {
    id = "assembly",
    name = "Freedom of assembly and protests",
    cues = {
      {3, "freedom of assembly", "freedom of peaceful assembly",
          "right to peaceful assembly", "peaceful protest", "peaceful protests",
          "peaceful protesters", "peaceful demonstrators", "protesters",
          "demonstrators", "right to protest"},
      {2, "protest", "protests", "demonstration", "demonstrations", "rally",
          "rallies", "unsanctioned", "unauthorised rally", "dispersal",
          "dispersed", "riot police", "excessive use of force",
          "law enforcement", "state of emergency", "mass protests",
          "January events", "Bloody January"},
      {1, "crowd", "gathering", "gatherings", "marched", "square",
          "shot dead", "killed"},
    },
  },
  {
    id = "elections",
    name = "Elections and political pluralism",
    cues = {
      {3, "election", "elections", "electoral", "presidential election",
          "parliamentary elections", "snap election", "election observation",
          "election observers", "political pluralism", "opposition parties",
          "opposition party", "referendum", "ballot"},
      {2, "polling station", "polling stations", "ballot stuffing", "voters",
          "voting", "candidates", "candidate", "registration of parties",
          "political party", "political parties", "opposition", "ODIHR",
          "electoral commission", "Central Election Commission", "multi-party"},
      {1, "mandate", "vote", "votes", "parliament", "Mazhilis", "campaign", "democracy",
          "democratic", "reforms"},
    },
  },
  {
    id = "civil_society",
    name = "Civil society and human rights defenders",
    cues = {
      {3, "human rights defender", "human rights defenders", "civil society",
          "civil society organisations", "civil society organizations",
          "non-governmental organisations", "non-governmental organizations",
          "NGO", "NGOs", "activist", "activists", "civic activists",
          "shrinking space", "foreign agent", "foreign agents"},
      {2, "freedom of association", "human rights organisations",
          "human rights organizations", "Human Rights Watch",
          "Amnesty International", "Front Line Defenders", "harassment",
          "intimidation", "reprisals", "smear campaign", "monitoring",
          "Kazakhstan International Bureau for Human Rights"},
      {1, "human rights", "defenders", "organisation", "organization",
          "association", "volunteers"},
    },
  },
  {
    id = "religion",
    name = "Freedom of religion or belief",
    cues = {
      {3, "freedom of religion", "freedom of religion or belief",
          "religious freedom", "freedom of conscience", "religious minorities",
          "Jehovah's Witnesses", "religious groups", "religious communities"},
      {2, "religious", "religion", "believers", "mosque", "mosques",
          "church", "churches", "imam", "worship", "Muslims", "Christians",
          "Salafi", "proselytism", "religious literature", "blasphemy"},
      {1, "faith", "belief", "beliefs", "prayer", "spiritual"},
    },
  },
  {
    id = "women",
    name = "Women's rights",
    cues = {
      {3, "women's rights", "women’s rights", "gender equality",
          "domestic violence", "gender-based violence", "violence against women",
          "Istanbul Convention", "femicide", "bride kidnapping",
          "women human rights defenders", "CEDAW"},
      {2, "women", "girls", "gender", "sexual violence", "sexual harassment",
          "rape", "discrimination against women", "forced marriage",
          "early marriage", "child marriage", "reproductive rights"},
      {1, "woman", "mother", "mothers", "wife", "female", "daughter"},
    },
  },
  {
    id = "lgbti",
    name = "LGBTI rights",
    cues = {
      {3, "LGBTI", "LGBTIQ", "LGBT", "LGBTQ", "LGBTQI", "LGBTI+",
          "sexual orientation", "gender identity", "homophobia", "homophobic",
          "transphobia", "transgender", "same-sex", "LGBT propaganda"},
      {2, "gay", "lesbian", "lesbians", "bisexual", "intersex", "queer",
          "sexual minorities"},
      {1, "Pride", "discrimination"},
    },
  },
  {
    id = "minorities",
    name = "Minorities, refugees and ethnic groups",
    cues = {
      {3, "ethnic minorities", "ethnic minority", "national minorities",
          "refugee", "refugees", "asylum", "asylum seekers", "asylum seeker",
          "refoulement", "non-refoulement", "Uyghur", "Uyghurs", "ethnic Kazakhs",
          "Kazakh ethnic", "Dungan", "Dungans", "Karakalpak", "Karakalpaks",
          "stateless", "statelessness"},
      {2, "ethnic", "minorities", "minority", "Xinjiang", "concentration camps",
          "re-education camps", "deportation", "deported", "extradition to China",
          "migrants", "migrant workers", "oralman", "kandas", "fled",
          "discrimination"},
      {1, "China", "Chinese", "border", "citizenship", "language"},
    },
  },
  {
    id = "extremism",
    name = "Extremism and terrorism legislation",
    cues = {
      {3, "extremism", "extremist", "extremist organisation",
          "extremist organization", "terrorism", "terrorist", "counter-terrorism",
          "anti-extremism", "counter-extremism", "inciting discord",
          "inciting social discord", "incitement to social discord",
          "banned organisation", "banned organization"},
      {2, "terrorist organisation", "terrorist organization", "terrorists",
          "extremists", "radicalisation", "radicalization", "Article 174",
          "Article 405", "Article 182", "vague and broad", "overly broad",
          "national security"},
      {1, "Criminal Code", "charges", "charged", "ban", "banned", "criminal"},
    },
  },
  {
    id = "interpol",
    name = "Abuse of INTERPOL and legal cooperation",
    cues = {
      {3, "INTERPOL", "Interpol", "red notice", "red notices", "diffusion",
          "diffusions", "extradition", "extradition request",
          "extradition requests", "transnational repression"},
      {2, "extradite", "extradited", "mutual legal assistance",
          "legal cooperation", "judicial cooperation", "wanted list",
          "international wanted list", "abuse of international",
          "politically motivated extradition", "asylum"},
      {1, "abroad", "exile", "in exile", "fled", "Europol", "law enforcement cooperation"},
    },
  },
  {
    id = "sanctions_eu",
    name = "Sanctions and EU relations",
    cues = {
      {3, "EU sanctions", "targeted sanctions", "impose sanctions",
          "sanctions regime", "Magnitsky", "Global Human Rights Sanctions Regime",
          "Enhanced Partnership and Cooperation Agreement", "EPCA",
          "Partnership and Cooperation Agreement", "EU-Kazakhstan",
          "EU–Kazakhstan", "EU Special Representative", "VP/HR",
          "High Representative", "human rights dialogue"},
      {2, "sanctions", "European External Action Service", "EEAS",
          "EU Delegation", "cooperation agreement",
          "GSP+", "restrictive measures", "asset freezes", "travel bans",
          "conditionality", "bilateral relations", "Central Asia strategy",
          "EU strategy on Central Asia", "EU Strategy for Central Asia"},
      -- The closing paragraph of every resolution, which names the
      -- Council and the Commission without being about them.
      {-12, "Instructs its President to forward this resolution"},
      -- Penalties under national law, not EU measures.
      {-1, "criminal sanctions", "administrative sanctions",
           "criminal or administrative sanctions",
           "criminal and administrative sanctions"},
      {1, "European Union", "EU", "Council", "Commission", "Member States",
          "trade", "partnership", "dialogue",
          "cooperation", "investment", "Russia", "Russian"},
    },
  },
  {
    id = "corruption",
    name = "Corruption",
    cues = {
      {3, "corruption", "corrupt", "kleptocracy", "kleptocratic",
          "money laundering", "embezzlement", "bribery", "bribes",
          "illicit enrichment", "stolen assets", "asset recovery",
          "anti-corruption", "oligarch", "oligarchs"},
      {2, "bribe", "embezzled", "misappropriation", "illicit financial flows",
          "offshore", "shell companies", "beneficial ownership", "nepotism",
          "cronyism", "transparency", "Transparency International",
          "Corruption Perceptions Index"},
      {1, "assets", "wealth", "accountability", "elite", "elites", "family"},
    },
  },
  {
    id = "labour",
    name = "Labour rights and trade unions",
    cues = {
      {3, "trade union", "trade unions", "trade unionist", "trade unionists",
          "labour rights", "labor rights", "workers' rights", "workers’ rights",
          "right to strike", "independent trade union", "independent union",
          "ILO", "International Labour Organization",
          "International Labour Organisation", "striking workers"},
      {2, "strike", "strikes", "workers", "oil workers", "wages", "unpaid wages", "collective bargaining",
          "freedom of association", "labour code", "labour law", "employees",
          "employer", "Zhanaozen", "Janaozen", "Confederation of Independent Trade Unions",
          "forced labour", "child labour"},
      {1, "labour", "labor", "work", "jobs", "salary", "salaries",
          "oil", "mine", "miners", "factory"},
    },
  },
}
