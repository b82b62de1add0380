/* app.js -- the search page's behaviour.  The whole state (query, type,
 * filters, page, open record, interface language) lives in the URL:
 * every change a visitor makes is a history entry (pushState), so Back
 * and Forward restore it and a copied link shows exactly the same thing.
 * Typing searches after a pause and keeps rewriting one history entry
 * until the visitor commits (Enter, a suggestion, a filter).  Responses
 * to superseded requests are dropped.  Suggestions are a WAI-ARIA
 * combobox.  Plain ES5-level JavaScript, no libraries, no build step. */
"use strict";
(function () {
  var LIMIT = 10;
  var FACET_VALUES = 8;          /* shown before "show more" */
  var TYPE_DELAY = 250;          /* ms of quiet before typing searches */
  var SUGGEST_DELAY = 100;
  /* The facet fields, in the order shown; their titles are in STRINGS. */
  var FACETS = ["org", "theme", "country", "kind", "year", "lang", "status"];

  /* Every word the interface shows, per language; {0} is an argument.
   * Values of the built-in fields (type, status, lang) are here too; the
   * vocabularies' labels (organizations, themes, countries, kinds) come
   * from the index. */
  var STRINGS = {
    en: {
      site: "Mapping of PCVE and CT Initiatives in Central Asia",
      title: "Search — Mapping of PCVE and CT Initiatives in Central Asia",
      searchLabel: "Search the mapping",
      placeholder: "e.g. UNODC prisons, returnees Kyrgyzstan",
      typeLabel: "What to search",
      typeAll: "Entries and documents", typeEntry: "Mapping entries",
      typeDocument: "Cited documents",
      go: "Search", prev: "Previous", next: "Next",
      other: "Русский", otherLang: "ru",
      filters: "Filters", filtersN: "Filters ({0})",
      suggestions: "Suggestions",
      f_org: "Organization", f_theme: "Theme", f_country: "Country",
      f_kind: "Kind of activity", f_year: "Year", f_lang: "Language",
      f_status: "Availability", f_type: "Type",
      more: "Show {0} more", less: "Show fewer",
      remove: "Remove filter {0}: {1}", clearAll: "Clear all",
      searching: "Searching…",
      results: function (a, b, n, exact, ms) {
        return a + "–" + b + " of " + (exact ? "" : "about ") + n +
          (n === 1 ? " result" : " results") + " (" + ms + " ms)";
      },
      browse: function (n) {
        return n + " records in mapping order. Type to search.";
      },
      none: "No results.", noneFiltered: "No results with these filters.",
      didYouMean: "Did you mean ", showingFor: "Showing results for ",
      nothingFor: " (instead of “{0}”).",
      t_entry: "Mapping entry", t_document: "Cited document",
      s_indexed: "Full text", s_unchanged: "Full text",
      "s_title-only": "Known by title only",
      s_unreachable: "Link unreachable", s_unreachableSince: "Link unreachable (last read on {0})",
      "s_local-path": "Link to a local disk", s_unsupported: "Unsupported format",
      "s_too-large": "Too large to read", s_broken: "Could not be read",
      l_en: "English", l_ru: "Russian", l_kk: "Kazakh", l_ky: "Kyrgyz",
      l_tg: "Tajik", l_uz: "Uzbek", l_tk: "Turkmen", l_fr: "French",
      l_ar: "Arabic", l_zh: "Chinese", l_es: "Spanish",
      back: "← Back to the results", open: "Open the document",
      openPage: "Open at page {0}", page: "Page {0}",
      d_orgs: "Organizations", d_themes: "Themes", d_countries: "Countries",
      d_kind: "Kind", d_years: "Years", d_edition: "Mapping edition",
      d_lines: "Lines in the mapping", d_status: "Status", d_lang: "Language",
      d_links: "Links", d_fetched: "Fetched",
      cites: "Documents it cites", citedBy: "Entries that cite it",
      versions: "Other languages", text: "Text", noText: "No text was read.",
      textFromMapping: "What the mapping says (the document itself was not read)",
      notFound: "No such record.", untitled: "(untitled)",
      error: "The search failed: {0}"
    },
    ru: {
      site: "Картирование инициатив ПНЭ и противодействия терроризму в Центральной Азии",
      title: "Поиск — картирование инициатив ПНЭ и противодействия терроризму в Центральной Азии",
      searchLabel: "Поиск по картированию",
      placeholder: "например: UNODC тюрьмы, возвращенцы Кыргызстан",
      typeLabel: "Где искать",
      typeAll: "Записи и документы", typeEntry: "Записи картирования",
      typeDocument: "Цитируемые документы",
      go: "Найти", prev: "Назад", next: "Далее",
      other: "English", otherLang: "en",
      filters: "Фильтры", filtersN: "Фильтры ({0})",
      suggestions: "Подсказки",
      f_org: "Организация", f_theme: "Тема", f_country: "Страна",
      f_kind: "Вид деятельности", f_year: "Год", f_lang: "Язык",
      f_status: "Доступность", f_type: "Тип",
      more: "Ещё {0}", less: "Свернуть",
      remove: "Убрать фильтр {0}: {1}", clearAll: "Сбросить все",
      searching: "Поиск…",
      results: function (a, b, n, exact, ms) {
        return a + "–" + b + " из " + (exact ? "" : "примерно ") + n + " " +
          plural(n, "результата", "результатов", "результатов") +
          " (" + ms + " мс)";
      },
      browse: function (n) {
        return n + " " + plural(n, "запись", "записи", "записей") +
          " в порядке картирования (результатов поиска пока нет: введите запрос).";
      },
      none: "Ничего не найдено (0 результатов).",
      noneFiltered: "С этими фильтрами ничего не найдено (0 результатов).",
      didYouMean: "Возможно, вы имели в виду ", showingFor: "Показаны результаты для ",
      nothingFor: " (вместо «{0}»).",
      t_entry: "Запись картирования", t_document: "Цитируемый документ",
      s_indexed: "Полный текст", s_unchanged: "Полный текст",
      "s_title-only": "Известно только название",
      s_unreachable: "Ссылка недоступна", s_unreachableSince: "Ссылка недоступна (последний раз прочитана {0})",
      "s_local-path": "Ссылка на локальный диск", s_unsupported: "Неподдерживаемый формат",
      "s_too-large": "Слишком большой файл", s_broken: "Не удалось прочитать",
      l_en: "английский", l_ru: "русский", l_kk: "казахский", l_ky: "киргизский",
      l_tg: "таджикский", l_uz: "узбекский", l_tk: "туркменский", l_fr: "французский",
      l_ar: "арабский", l_zh: "китайский", l_es: "испанский",
      back: "← К результатам", open: "Открыть документ",
      openPage: "Открыть на странице {0}", page: "Страница {0}",
      d_orgs: "Организации", d_themes: "Темы", d_countries: "Страны",
      d_kind: "Вид", d_years: "Годы", d_edition: "Выпуск картирования",
      d_lines: "Строки картирования", d_status: "Статус", d_lang: "Язык",
      d_links: "Ссылки", d_fetched: "Загружено",
      cites: "Цитируемые документы", citedBy: "Записи, которые его цитируют",
      versions: "На других языках", text: "Текст", noText: "Текст не прочитан.",
      textFromMapping: "Что сказано в картировании (сам документ не прочитан)",
      notFound: "Такой записи нет.", untitled: "(без названия)",
      error: "Поиск не удался: {0}"
    }
  };

  /* Russian plural forms: 1, 2-4, 5+ (11-14 take the last). */
  function plural(n, one, few, many) {
    var d = n % 10, h = n % 100;
    if (d === 1 && h !== 11) return one;
    if (d >= 2 && d <= 4 && (h < 12 || h > 14)) return few;
    return many;
  }

  var $ = function (id) { return document.getElementById(id); };
  var q = $("q"), form = $("form"), type = $("type"), statusEl = $("status");
  var hitsEl = $("hits"), facetsEl = $("facets"), chipsEl = $("chips");
  var listbox = $("suggestions"), detailEl = $("detail");
  var resultsEl = $("results"), filtersEl = $("filters");
  var toggle = $("filters-toggle"), layout = $("layout");

  var state = null;            /* what the URL says; see fromUrl() */
  var typingEntry = false;     /* the current history entry is being typed */
  var searchSeq = 0, suggestSeq = 0, searchCtl = null;
  var typeTimer = null, suggestTimer = null;
  var expanded = {};           /* facet field -> "show more" is open */
  var labels = {};             /* "field\tvalue" -> last facet value seen */
  var lastResult = null;

  function t(key) {
    var s = STRINGS[state.ui][key];
    var args = Array.prototype.slice.call(arguments, 1);
    if (s === undefined) s = STRINGS.en[key];
    if (typeof s === "function") return s.apply(null, args);
    if (s === undefined) return key;
    return s.replace(/\{(\d)\}/g, function (m, i) { return args[+i]; });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  /* ------------------------------------------------------------ State */

  function fromUrl() {
    var p = new URLSearchParams(location.search);
    var s = {q: p.get("q") || "", type: p.get("type") || "", f: {},
             offset: Math.max(0, parseInt(p.get("offset") || "0", 10) || 0),
             doc: p.get("doc") || "", ui: p.get("ui") === "ru" ? "ru" : "en"};
    FACETS.forEach(function (f) { s.f[f] = p.getAll(f); });
    return s;
  }

  function copy(s) { return JSON.parse(JSON.stringify(s)); }

  function urlOf(s) {
    var p = new URLSearchParams();
    if (s.q) p.set("q", s.q);
    if (s.type) p.set("type", s.type);
    FACETS.forEach(function (f) {
      s.f[f].forEach(function (v) { p.append(f, v); });
    });
    if (s.offset) p.set("offset", String(s.offset));
    if (s.doc) p.set("doc", s.doc);
    if (s.ui !== "en") p.set("ui", s.ui);
    var str = p.toString();
    return location.pathname + (str ? "?" + str : "");
  }

  /* Makes @s the state: a new history entry unless @replace. */
  function go(s, replace) {
    state = s;
    var url = urlOf(s);
    if (replace) history.replaceState(null, "", url);
    else history.pushState(null, "", url);
    show();
  }

  function filterCount(s) {
    return FACETS.reduce(function (n, f) { return n + s.f[f].length; }, 0) +
      (s.type ? 1 : 0);
  }

  /* ------------------------------------------------------------ Interface */

  function applyLanguage() {
    document.documentElement.lang = state.ui;
    document.title = t("title");
    Array.prototype.forEach.call(document.querySelectorAll("[data-t]"),
      function (e) { e.textContent = t(e.dataset.t); });
    q.placeholder = t("placeholder");
    listbox.setAttribute("aria-label", t("suggestions"));
    var other = $("ui-lang");
    other.textContent = t("other");
    other.lang = t("otherLang");
    var n = filterCount(state);
    toggle.textContent = n ? t("filtersN", n) : t("filters");
  }

  function busy(on) {
    if (on) document.body.dataset.busy = "1";
    else delete document.body.dataset.busy;
  }

  /* Renders the state: a record's detail view or a search. */
  function show() {
    applyLanguage();
    if (document.activeElement !== q || q.value.trim() !== state.q.trim())
      q.value = state.q;
    type.value = state.type;
    var detail = !!state.doc;
    detailEl.hidden = !detail;
    resultsEl.hidden = detail;
    filtersEl.hidden = detail;
    layout.classList.toggle("detail-open", detail);
    if (detail) showDetail(state.doc);
    else search();
  }

  function fetchJson(url, signal) {
    return fetch(url, {signal: signal}).then(function (resp) {
      return resp.json().then(function (body) {
        if (!resp.ok) {
          var e = new Error(body.error ? body.error.message : resp.statusText);
          e.status = resp.status;
          throw e;
        }
        return body;
      });
    });
  }

  /* ------------------------------------------------------------ Search */

  function search() {
    var s = state;
    var p = new URLSearchParams();
    if (s.q) p.set("q", s.q);
    if (s.type) p.set("type", s.type);
    FACETS.forEach(function (f) {
      s.f[f].forEach(function (v) { p.append(f, v); });
    });
    p.set("facets", FACETS.join(","));
    /* Without a query, the records in the mapping's own order. */
    if (!s.q) p.set("sort", "relevance");
    p.set("offset", String(s.offset));
    p.set("limit", String(LIMIT));
    var seq = ++searchSeq;
    if (searchCtl) searchCtl.abort();
    searchCtl = typeof AbortController === "function" ? new AbortController()
                                                      : null;
    busy(true);
    statusEl.className = "";
    statusEl.textContent = t("searching");
    fetchJson("search?" + p.toString(), searchCtl && searchCtl.signal)
      .then(function (r) {
        if (seq !== searchSeq) return;
        lastResult = r;
        render(r);
      })
      .catch(function (e) {
        if (seq !== searchSeq || e.name === "AbortError") return;
        hitsEl.textContent = "";
        resultsEl.dataset.total = "0";
        statusEl.className = "error";
        statusEl.textContent = t("error", e.message);
      })
      .then(function () {
        if (seq !== searchSeq) return;
        busy(false);
        document.body.dataset.ready = "1";
      });
  }

  function statusWords(rec) {
    if (rec.status === "unreachable" && rec.fetched_at)
      return t("s_unreachableSince", rec.fetched_at.slice(0, 10));
    return t("s_" + rec.status);
  }

  function fullText(rec) {
    return rec.status === "indexed" || rec.status === "unchanged";
  }

  function years(rec) {
    return (rec.year || []).slice().sort().join(", ");
  }

  function recordLink(id) {
    var s = copy(state);
    s.doc = id;
    return urlOf(s);
  }

  function openRecord(ev, id) {
    if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button) return;
    ev.preventDefault();
    var s = copy(state);
    s.doc = id;
    typingEntry = false;
    go(s);
    window.scrollTo(0, 0);
  }

  function recordTitleLink(rec, cls) {
    var a = el("a", cls, rec.title || t("untitled"));
    a.href = recordLink(rec.id);
    a.addEventListener("click", function (ev) { openRecord(ev, rec.id); });
    if (rec.lang && rec.lang !== state.ui) a.lang = rec.lang;
    return a;
  }

  function render(r) {
    hitsEl.textContent = "";
    /* The facet values first, so the hits' organizations are in the
     * interface's language too. */
    Object.keys(r.facets || {}).forEach(function (field) {
      r.facets[field].forEach(function (v) { labels[field + "\t" + v.value] = v; });
    });
    resultsEl.dataset.total = String(r.total);
    r.hits.forEach(function (h) {
      var li = el("li");
      if (h.lang) li.lang = h.lang;
      var h2 = el("h2");
      h2.appendChild(recordTitleLink(h, "title"));
      li.appendChild(h2);
      var meta = el("div", "meta", [t("t_" + h.type),
        vocabLabels("org", h.org, h.org_labels).join(", "),
        years(h)].filter(Boolean).join(" · "));
      meta.lang = state.ui;
      li.appendChild(meta);
      if (!fullText(h)) {
        var note = el("div", "status-note", statusWords(h));
        note.lang = state.ui;
        li.appendChild(note);
      }
      /* A link to a local disk leads nowhere for a visitor. */
      var link = h.status === "local-path" ? null : h.page_url || h.url;
      if (link) {
        var a = el("a", "ext", h.page ? t("openPage", h.page) : link);
        a.href = link;
        a.lang = state.ui;
        li.appendChild(a);
      }
      var p = el("p", "snippet");
      /* The daemon HTML-escapes snippets and adds only <mark>. */
      p.innerHTML = h.snippet || "";
      li.appendChild(p);
      hitsEl.appendChild(li);
    });
    statusEl.className = "";
    if (!state.q && r.total && !filterCount(state) && !state.offset)
      statusEl.textContent = t("browse", r.total);
    else if (r.total)
      statusEl.textContent = t("results", r.offset + 1,
                               r.offset + r.hits.length, r.total,
                               r.total_exact, Math.round(r.took_ms * 10) / 10);
    else
      statusEl.textContent = filterCount(state) ? t("noneFiltered") : t("none");
    if (r.corrected) {
      var fix = el("a", null, r.corrected);
      fix.href = urlOf(Object.assign(copy(state), {q: r.corrected, offset: 0}));
      fix.addEventListener("click", function (ev) {
        ev.preventDefault();
        commit({q: r.corrected});
      });
      statusEl.appendChild(document.createTextNode(" " +
        (r.corrected_applied ? t("showingFor") : t("didYouMean"))));
      statusEl.appendChild(fix);
      statusEl.appendChild(document.createTextNode(
        r.corrected_applied ? t("nothingFor", r.query) : "?"));
    }
    renderFacets(r.facets || {});
    renderChips();
    $("prev").hidden = r.offset === 0;
    $("next").hidden = r.offset + r.hits.length >= r.total;
  }

  /* @v's words in the interface's language: the page's own strings for
   * the fixed fields, else the daemon's label (label_ru in Russian, where
   * the vocabulary has one) from @facet or the last facet value seen. */
  function valueLabel(field, v, facet) {
    if (field === "lang" || field === "status" || field === "type") {
      var k = (field === "lang" ? "l_" : field === "type" ? "t_" : "s_") + v;
      if (STRINGS.en[k]) return t(k);
    }
    var known = facet && facet.label ? facet : labels[field + "\t" + v];
    if (!known) return v;
    if (state.ui === "ru" && known.label_ru) return known.label_ru;
    return known.label || v;
  }

  /* A record's @slugs of @field in words: a facet seen gives its label
   * in the interface's language, else the record's own @own labels. */
  function vocabLabels(field, slugs, own) {
    return (slugs || []).map(function (v, i) {
      return labels[field + "\t" + v] ? valueLabel(field, v)
                                       : (own && own[i]) || v;
    });
  }

  /* The facet lists: the daemon's counts, plus every selected value it
   * did not list (0 matches) so that a filter never hides itself. */
  function renderFacets(facets) {
    facetsEl.textContent = "";
    FACETS.forEach(function (field) {
      var values = (facets[field] || []).slice();
      values.forEach(function (v) { labels[field + "\t" + v.value] = v; });
      state.f[field].forEach(function (sel) {
        if (!values.some(function (v) { return v.value === sel; }))
          values.push({value: sel, label: null, count: 0, selected: true});
      });
      if (!values.length) return;
      if (field === "year")
        values.sort(function (a, b) { return a.value < b.value ? -1 : 1; });
      var set = el("fieldset");
      set.dataset.field = field;
      set.appendChild(el("legend", null, t("f_" + field)));
      var hidden = 0;
      values.forEach(function (v, i) {
        var sel = state.f[field].indexOf(v.value) >= 0;
        if (!expanded[field] && i >= FACET_VALUES && !sel) {
          hidden++;
          return;
        }
        var label = el("label");
        var box = el("input");
        box.type = "checkbox";
        box.value = v.value;
        box.checked = sel;
        box.addEventListener("change", function () {
          var s = copy(state);
          var list = s.f[field], at = list.indexOf(v.value);
          if (box.checked && at < 0) list.push(v.value);
          if (!box.checked && at >= 0) list.splice(at, 1);
          s.offset = 0;
          typingEntry = false;
          go(s);
        });
        label.appendChild(box);
        label.appendChild(el("span", "name", valueLabel(field, v.value, v)));
        label.appendChild(el("span", "count", String(v.count)));
        set.appendChild(label);
      });
      if (hidden || expanded[field]) {
        var more = el("button", "more",
                      expanded[field] ? t("less") : t("more", hidden));
        more.type = "button";
        more.setAttribute("aria-expanded", expanded[field] ? "true" : "false");
        more.addEventListener("click", function () {
          expanded[field] = !expanded[field];
          renderFacets(lastResult ? lastResult.facets || {} : {});
          var again = facetsEl.querySelector("[data-field=" + field + "] .more");
          if (again) again.focus();
        });
        set.appendChild(more);
      }
      facetsEl.appendChild(set);
    });
  }

  function renderChips() {
    chipsEl.textContent = "";
    var chips = [];
    if (state.type)
      chips.push(["type", state.type, t("f_type"), t("t_" + state.type)]);
    FACETS.forEach(function (field) {
      state.f[field].forEach(function (v) {
        chips.push([field, v, t("f_" + field), valueLabel(field, v)]);
      });
    });
    chips.forEach(function (c) {
      var b = el("button", "chip", c[2] + ": " + c[3] + " ×");
      b.type = "button";
      b.dataset.field = c[0];
      b.dataset.value = c[1];
      b.setAttribute("aria-label", t("remove", c[2], c[3]));
      b.addEventListener("click", function () {
        var s = copy(state);
        if (c[0] === "type") s.type = "";
        else s.f[c[0]].splice(s.f[c[0]].indexOf(c[1]), 1);
        s.offset = 0;
        typingEntry = false;
        go(s);
      });
      chipsEl.appendChild(b);
    });
    if (chips.length) {
      var all = el("button", null, t("clearAll"));
      all.type = "button";
      all.id = "clear-all";
      all.addEventListener("click", function () {
        var s = copy(state);
        s.type = "";
        FACETS.forEach(function (f) { s.f[f] = []; });
        s.offset = 0;
        typingEntry = false;
        go(s);
      });
      chipsEl.appendChild(all);
    }
  }

  /* ------------------------------------------------------------ Detail */

  function dlRow(dl, key, value) {
    if (!value || (Array.isArray(value) && !value.length)) return;
    dl.appendChild(el("dt", null, t(key)));
    var dd = el("dd");
    if (value instanceof Node) dd.appendChild(value);
    else dd.textContent = Array.isArray(value) ? value.join(", ") : value;
    dl.appendChild(dd);
  }

  /* The document's versions in other languages, as the record lists
   * them ({id, lang, title, url}): each a link to its detail view with
   * its language in words.  The listed title is the one planned before
   * extraction (often the file name), so each version's record is
   * fetched for its own; the promise settles once every one is in. */
  function translationList(parent, list) {
    if (!list || !list.length) return Promise.resolve();
    parent.appendChild(el("h2", null, t("versions")));
    var ul = el("ul", "versions");
    parent.appendChild(ul);
    return Promise.all(list.map(function (v) {
      var li = el("li");
      var lang = el("span", "lang-name", valueLabel("lang", v.lang) + ": ");
      lang.lang = state.ui;
      li.appendChild(lang);
      ul.appendChild(li);
      var shown = function (rec) {
        li.appendChild(recordTitleLink({id: v.id, lang: v.lang,
                                        title: rec.title || v.title}, "doc"));
      };
      return fetchJson("doc/" + encodeURIComponent(v.id)).then(shown,
        function () { shown(v); });
    }));
  }

  /* Lists the records @ids (fetched one by one) under a heading; the
   * promise settles once every one is in. */
  function relatedList(parent, cls, heading, ids) {
    if (!ids || !ids.length) return Promise.resolve();
    parent.appendChild(el("h2", null, heading));
    var ul = el("ul", cls);
    parent.appendChild(ul);
    return Promise.all(ids.map(function (id) {
      var li = el("li");
      ul.appendChild(li);
      return fetchJson("doc/" + encodeURIComponent(id)).then(function (rec) {
        li.appendChild(recordTitleLink(rec, rec.type === "document" ? "doc" : "entry"));
        var meta = [statusWords(rec)];
        if (rec.type === "entry")
          meta = [vocabLabels("org", rec.org, rec.org_labels).join(", "), years(rec)];
        var m = el("div", "meta", meta.filter(Boolean).join(" · "));
        m.lang = state.ui;
        li.appendChild(m);
        if (rec.url) {
          var a = el("a", "ext", rec.url);
          a.href = rec.url;
          li.appendChild(a);
        }
      }).catch(function () { li.textContent = id; });
    }));
  }

  function showDetail(id) {
    var seq = ++searchSeq;
    busy(true);
    detailEl.textContent = "";
    var back = el("button", "back", t("back"));
    back.type = "button";
    back.addEventListener("click", function () {
      var s = copy(state);
      s.doc = "";
      typingEntry = false;
      go(s);
    });
    detailEl.appendChild(back);
    fetchJson("doc/" + encodeURIComponent(id)).then(function (rec) {
      if (seq !== searchSeq) return;
      var h1 = el("h1", null, rec.title || t("untitled"));
      if (rec.lang) h1.lang = rec.lang;
      detailEl.appendChild(h1);
      document.title = rec.title + " — " + t("site");
      var dl = el("dl");
      detailEl.appendChild(dl);
      dlRow(dl, "f_type", t("t_" + rec.type));
      dlRow(dl, "d_orgs", vocabLabels("org", rec.org, rec.org_labels));
      dlRow(dl, "d_themes", vocabLabels("theme", rec.theme, rec.theme_labels));
      dlRow(dl, "d_countries", (rec.country || []).map(function (c) {
        return valueLabel("country", c);
      }));
      dlRow(dl, "d_kind", rec.kind ? valueLabel("kind", rec.kind) : null);
      dlRow(dl, "d_years", years(rec));
      dlRow(dl, "d_lang", rec.lang ? valueLabel("lang", rec.lang) : null);
      if (rec.type === "entry") {
        dlRow(dl, "d_edition", rec.edition);
        if (rec.lines)
          dlRow(dl, "d_lines", rec.lines[0] === rec.lines[1] ? String(rec.lines[0])
                : rec.lines[0] + "–" + rec.lines[1]);
      } else {
        dlRow(dl, "d_status", statusWords(rec) +
              (rec.reason && !fullText(rec) ? " (" + rec.reason + ")" : ""));
        var urls = rec.urls && rec.urls.length ? rec.urls : rec.url ? [rec.url] : [];
        if (urls.length) {
          var span = el("span");
          urls.forEach(function (u, i) {
            if (i) span.appendChild(document.createTextNode(" "));
            var a = el("a", "ext", u);
            a.href = u;
            span.appendChild(a);
          });
          dlRow(dl, "d_links", span);
        }
        if (rec.fetched_at) dlRow(dl, "d_fetched", rec.fetched_at.slice(0, 10));
      }
      detailEl.appendChild(el("h2", null, rec.type === "document" &&
                              !fullText(rec) ? t("textFromMapping") : t("text")));
      var text = el("div", "text");
      if (rec.lang) text.lang = rec.lang;
      var pages = rec.text_pages || [rec.text || ""];
      pages.forEach(function (pg, i) {
        if (pages.length > 1) {
          var no = el(rec.url ? "a" : "span", "page-no", t("page", i + 1));
          if (rec.url) no.href = rec.url + "#page=" + (i + 1);
          no.lang = state.ui;
          text.appendChild(no);
        }
        pg.split(/\n{2,}/).forEach(function (para) {
          if (para.trim()) text.appendChild(el("p", null, para.trim()));
        });
      });
      if (!text.childNodes.length) text.appendChild(el("p", null, t("noText")));
      detailEl.appendChild(text);
      return Promise.all([
        translationList(detailEl, rec.translations),
        relatedList(detailEl, "cites", t("cites"), rec.cites),
        relatedList(detailEl, "cited-by", t("citedBy"), rec.cited_by)]);
    }).catch(function (e) {
      if (seq !== searchSeq) return;
      detailEl.appendChild(el("p", "error",
                              e.status === 404 ? t("notFound") : t("error", e.message)));
    }).then(function () {
      if (seq !== searchSeq) return;
      busy(false);
      document.body.dataset.ready = "1";
    });
  }

  /* ------------------------------------------------------------ Typing */

  /* A search the visitor asked for (Enter, a suggestion, a correction):
   * it takes over the entry typing made, or adds one. */
  function commit(changes) {
    clearTimeout(typeTimer);
    closeSuggestions();
    var s = copy(state);
    s.q = changes.q !== undefined ? changes.q : q.value.trim();
    s.type = type.value;
    s.offset = 0;
    s.doc = "";
    var replace = typingEntry;
    typingEntry = false;
    if (!replace && urlOf(s) === urlOf(state) && !state.doc) {
      show();
      return;
    }
    go(s, replace);
  }

  function typed() {
    var s = copy(state);
    s.q = q.value.trim();
    if (s.q === state.q && !state.doc) return;
    s.offset = 0;
    s.doc = "";
    go(s, typingEntry);
    typingEntry = true;
  }

  q.addEventListener("input", function () {
    clearTimeout(typeTimer);
    typeTimer = setTimeout(typed, TYPE_DELAY);
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(suggest, SUGGEST_DELAY);
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    commit({});
  });
  type.addEventListener("change", function () { commit({}); });

  /* ------------------------------------------------------------ Combobox */

  var active = -1;

  function options() { return listbox.querySelectorAll("[role=option]"); }

  function closeSuggestions() {
    suggestSeq++;
    clearTimeout(suggestTimer);
    listbox.hidden = true;
    listbox.textContent = "";
    active = -1;
    q.setAttribute("aria-expanded", "false");
    q.removeAttribute("aria-activedescendant");
  }

  function setActive(i) {
    var opts = options();
    active = i;
    Array.prototype.forEach.call(opts, function (o, j) {
      o.setAttribute("aria-selected", j === i ? "true" : "false");
    });
    if (i >= 0) {
      q.setAttribute("aria-activedescendant", opts[i].id);
      opts[i].scrollIntoView({block: "nearest"});
    } else {
      q.removeAttribute("aria-activedescendant");
    }
  }

  function suggest() {
    var text = q.value;
    if (!text.trim()) { closeSuggestions(); return; }
    var seq = ++suggestSeq;
    fetchJson("suggest?" + new URLSearchParams({q: text, limit: "8"}))
      .then(function (r) {
        if (seq !== suggestSeq || document.activeElement !== q) return;
        listbox.textContent = "";
        listbox.dataset.query = text;   /* what the options complete */
        active = -1;
        q.removeAttribute("aria-activedescendant");
        r.suggestions.forEach(function (s, i) {
          var o = el("li");
          o.id = "suggestion-" + i;
          o.setAttribute("role", "option");
          o.setAttribute("aria-selected", "false");
          o.dataset.text = s.text;
          o.appendChild(el("span", "text", s.text));
          o.appendChild(el("span", "count", String(s.count)));
          /* mousedown would move the focus out of the box first. */
          o.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
          o.addEventListener("click", function () { choose(s.text); });
          listbox.appendChild(o);
        });
        var open = r.suggestions.length > 0;
        listbox.hidden = !open;
        q.setAttribute("aria-expanded", open ? "true" : "false");
      })
      .catch(function () {});
  }

  function choose(text) {
    q.value = text;
    commit({q: text});
  }

  q.addEventListener("keydown", function (ev) {
    var opts = options();
    var open = !listbox.hidden && opts.length > 0;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      if (!open) return;
      ev.preventDefault();
      var n = opts.length;
      setActive(ev.key === "ArrowDown" ? (active + 1) % n
                : active <= 0 ? n - 1 : active - 1);
    } else if (ev.key === "Enter") {
      if (open && active >= 0) {
        ev.preventDefault();
        choose(opts[active].dataset.text);
      }
    } else if (ev.key === "Escape") {
      if (open) {
        ev.preventDefault();
        closeSuggestions();
      }
    }
  });
  q.addEventListener("blur", function () { setTimeout(closeSuggestions, 0); });

  /* ------------------------------------------------------------ Others */

  $("prev").addEventListener("click", function () {
    var s = copy(state);
    s.offset = Math.max(0, s.offset - LIMIT);
    typingEntry = false;
    go(s);
    window.scrollTo(0, 0);
  });
  $("next").addEventListener("click", function () {
    var s = copy(state);
    s.offset += LIMIT;
    typingEntry = false;
    go(s);
    window.scrollTo(0, 0);
  });
  $("ui-lang").addEventListener("click", function () {
    var s = copy(state);
    s.ui = s.ui === "ru" ? "en" : "ru";
    go(s, true);
  });
  toggle.addEventListener("click", function () {
    var open = !filtersEl.classList.contains("open");
    filtersEl.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
  /* The site name: the landing page, in the same language. */
  $("home").addEventListener("click", function (ev) {
    ev.preventDefault();
    var s = {q: "", type: "", f: {}, offset: 0, doc: "", ui: state.ui};
    FACETS.forEach(function (f) { s.f[f] = []; });
    typingEntry = false;
    go(s);
  });
  window.addEventListener("popstate", function () {
    typingEntry = false;
    closeSuggestions();
    state = fromUrl();
    q.value = state.q;
    show();
  });

  state = fromUrl();
  q.value = state.q;
  show();
  if (!state.doc) q.focus();
})();
