package pinlab.report;

/** The HTML report's inline style sheet and script. Nothing here is loaded from anywhere else. */
final class HtmlAssets {
    private HtmlAssets() {}

    static final String CSS = """
            :root{--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--soft:#f8fafc;--chg:#ea580c;--sel:#2563eb;
            --mono:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace}
            *{box-sizing:border-box}
            body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
            color:var(--fg);background:#fff}
            code,pre{font-family:var(--mono);font-size:12.5px}
            a{color:#1d4ed8}
            .muted{color:var(--muted)}
            .ok{color:#15803d;font-weight:600}.bad{color:#b91c1c;font-weight:700}.warn{color:#c2410c;font-weight:600}
            header.top{padding:12px 24px 10px;border-bottom:1px solid var(--line);background:var(--soft)}
            h1{margin:0;font-size:20px}h1 span{font-weight:400;color:var(--muted);font-size:14px;margin-left:8px}
            .summary{margin:3px 0 6px}
            .legend{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12.5px;
            color:#334155}
            .sw{display:inline-block;padding:0 6px;border-radius:3px;font-weight:700;font-size:11px;margin-right:3px}
            .k-safe{background:#dcfce7;color:#166534}
            .k-fail{background:#fecaca;color:#991b1b}
            .k-fail.k-always{background:#dc2626;color:#fff}
            .k-ref{background:#e5e7eb;color:#374151}
            .k-na{background:#f8fafc;color:#94a3b8;font-style:italic}
            .k-vio{background:#7c3aed;color:#fff}
            .k-inc{background:#fb923c;color:#431407}
            .k-obs{background:#e0f2fe;color:#075985}
            .mismatch{box-shadow:inset 0 0 0 3px #111}
            .mwrap{padding:10px 24px 6px;overflow-x:auto}
            table.matrix{border-collapse:separate;border-spacing:3px}
            .matrix th.pol{font:600 12.5px var(--mono);padding:4px 6px;text-align:center;white-space:nowrap}
            .matrix thead th.sc{font:600 12px system-ui,"DejaVu Sans",sans-serif;color:var(--muted);text-align:left}
            .matrix tr.topic th{text-align:left;font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;
            color:var(--muted);padding:8px 4px 1px;font-weight:700}
            .matrix tbody th.sc{text-align:left;font:500 12.5px var(--mono);padding:0 14px 0 10px;white-space:nowrap}
            td.cell{min-width:104px;text-align:center;border-radius:4px;padding:0;vertical-align:middle}
            td.cell a.cl{display:block;padding:5px 8px;color:inherit;text-decoration:none;font:700 12px var(--mono);
            white-space:nowrap}
            td.cell .mm{display:block;font:700 10.5px system-ui,"DejaVu Sans",sans-serif;padding:0 6px 4px;
            margin-top:-3px}
            td.cell:hover{filter:brightness(.93)}
            .vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
            td.cell.sel{outline:3px solid var(--sel);outline-offset:1px}
            main{padding:0 24px 16px}
            .hint{color:var(--muted);margin:6px 0}
            .printnote{display:none}
            .detail{display:none;background:#fff}
            html:not(.js) .detail:target{display:block;border-top:3px solid var(--sel);padding-top:10px}
            .detail.open{display:block;position:fixed;top:0;right:0;bottom:0;left:var(--drawer-left,250px);z-index:10;
            overflow:auto;padding:12px 22px 40px;border-left:3px solid var(--sel);
            box-shadow:-10px 0 28px rgba(15,23,42,.28)}
            .backdrop{position:fixed;inset:0;background:rgba(15,23,42,.22);z-index:9}
            body.has-open{overflow:hidden}
            .matrix tr.selrow th.sc{color:var(--sel);font-weight:700}
            @media (max-width:1100px){.detail.open{left:0}}
            .dh-top{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
            .dh h2{margin:0;font:700 18px var(--mono)}.dh h2 .under{font-weight:400;color:var(--muted)}
            .badge{padding:3px 9px;border-radius:4px;font:700 12.5px var(--mono)}
            .verdict{padding:1px 7px;border-radius:10px;font-size:11.5px;font-weight:700;background:#e5e7eb}
            .v-ok{background:#dcfce7;color:#166534}.v-mismatch{background:#111;color:#fff}
            .v-violation{background:#7c3aed;color:#fff}.v-incomplete{background:#fb923c}.v-unchecked{color:#374151}
            .close{margin-left:auto;font-size:24px;line-height:1;text-decoration:none;color:var(--muted);padding:0 6px}
            .dtitle{margin:4px 0 6px;font-size:15px;font-weight:500}
            .peers{display:flex;gap:4px;flex-wrap:wrap;align-items:center;font-size:12px}
            .peer{padding:0 6px;border-radius:3px;text-decoration:none;font-family:var(--mono);font-size:11.5px}
            .peer.here{outline:2px solid var(--sel);outline-offset:1px}
            .dgrid{display:grid;grid-template-columns:minmax(0,1.25fr) minmax(0,1fr);gap:22px;margin-top:8px}
            dl.facts,dl.meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 12px;margin:0 0 8px}
            dl.facts dt,dl.meta dt{color:var(--muted);font-size:11.5px;text-transform:uppercase;letter-spacing:.03em;
            padding-top:2px}
            dl.facts dd,dl.meta dd{margin:0}
            dl.meta{font-size:12px;line-height:1.35}
            table.outcomes,table.viols{border-collapse:collapse;width:100%;font-size:13px;margin-bottom:8px}
            .outcomes th,.outcomes td,.viols th,.viols td{border-bottom:1px solid var(--line);padding:3px 8px;
            text-align:left}
            .outcomes th,.viols th{font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
            .num{text-align:right!important}
            .g-forbidden{background:#fef2f2}.g-forbidden .grade{color:#b91c1c;font-weight:700}
            .g-acceptable .grade{color:#15803d;font-weight:600}
            .g-interesting{background:#fffbeb}.g-interesting .grade{color:#b45309;font-weight:700}
            pre.src{max-height:190px;overflow:auto;background:#0f172a;color:#e2e8f0;padding:6px 0;border-radius:6px;
            margin:0;font-size:12px;line-height:1.4}
            .sl{display:inline-block;min-width:100%;padding-right:10px}
            .sl::before{content:attr(data-l);display:inline-block;width:2.6em;text-align:right;color:#64748b;
            margin-right:1em;user-select:none}
            .sl.expline{background:#1e3a8a}.sl.hot{background:#9a3412}
            .notrace{color:var(--muted);font-style:italic}
            .trace{margin-top:14px;border-top:1px solid var(--line);padding-top:8px}
            .trace h3{font-size:15px;margin:0}.trace h3 .muted{font-weight:400}
            .why{color:#334155;font-size:14px}.trace.t-bad .why{color:#b91c1c;font-weight:600}
            .trace.t-vio .why{color:#6d28d9;font-weight:600}
            .lanes-wrap{overflow-x:auto}
            table.lanes{border-collapse:collapse;font-size:12.5px;width:100%}
            .lanes th{background:#f1f5f9;padding:4px 10px;font-size:12px;text-align:left;white-space:nowrap}
            .lanes th.lane-h{text-align:center;min-width:128px;border-top:4px solid var(--tc)}
            .lanes th.lane-h small{color:var(--muted);font-weight:400}
            .lanes td{border-bottom:1px solid #eef2f7;padding:3px 8px;vertical-align:top}
            .lanes td.n{color:var(--muted);text-align:right;font-family:var(--mono);width:2em}
            td.lane{text-align:center;border-left:1px dashed #cbd5e1;border-right:1px dashed #cbd5e1}
            td.lane-span{text-align:center;color:var(--muted);font-style:italic;border-left:1px dashed #cbd5e1;
            border-right:1px dashed #cbd5e1}
            .op{display:inline-block;padding:1px 9px;border-radius:11px;background:var(--tb);border:1px solid var(--tc);
            font-family:var(--mono);font-size:12px;white-space:nowrap}
            .t0{--tc:#2563eb;--tb:#dbeafe}.t1{--tc:#d97706;--tb:#fef3c7}.t2{--tc:#059669;--tb:#d1fae5}
            .t3{--tc:#db2777;--tb:#fce7f3}.t4{--tc:#7c3aed;--tb:#ede9fe}.t5{--tc:#0891b2;--tb:#cffafe}
            .t6{--tc:#65a30d;--tb:#ecfccb}.t7{--tc:#475569;--tb:#e2e8f0}
            tr.st{cursor:pointer}tr.st:hover td{background:#f8fafc}
            tr.st.cur td{background:#fff7ed}tr.st.cur td.n{color:var(--chg);font-weight:700}
            td.rules{white-space:nowrap}
            a.rule,span.rule{font-family:var(--mono);font-size:11.5px;background:#eef2ff;color:#3730a3;padding:0 5px;
            border-radius:3px;text-decoration:none;display:inline-block;margin:1px 0}
            td.what .note{font-weight:500}
            details.diff{float:right;margin-left:10px}
            details.diff[open]{float:none;margin-left:0}
            details.diff summary{font-size:11px;color:var(--muted);cursor:pointer;white-space:nowrap}
            details.diff pre{margin:1px 0 2px;font-size:11px;color:#334155;white-space:pre-wrap}
            .stepper{display:flex;align-items:center;gap:8px;margin:10px 0 6px;font-size:12.5px;flex-wrap:wrap}
            .stepper button{font-size:12px;padding:2px 9px;border:1px solid #cbd5e1;background:#fff;border-radius:4px;
            cursor:pointer}
            .stepper input[type=range]{width:180px}
            .stepper .pos{color:var(--muted)}
            .stepper .key{margin-left:auto;color:var(--muted);font-size:12px}
            .chgkey{color:var(--chg);font-weight:700}.watchkey{font-weight:700}
            .timeline{display:flex;flex-wrap:wrap;gap:8px;align-items:stretch}
            figure.panel{margin:0;border:1px solid var(--line);border-radius:6px;padding:4px 4px 3px;background:#fff;
            flex:0 1 262px;min-width:240px;cursor:pointer}
            figure.panel svg.tl{width:100%;height:auto}
            figure.panel.cur{border-color:var(--chg);box-shadow:0 0 0 2px #fed7aa}
            figcaption{font-size:12px;min-height:34px;line-height:1.35;padding:0 2px}
            figcaption .sn{display:inline-block;min-width:18px;text-align:center;background:#0f172a;color:#fff;
            border-radius:9px;font-size:11px;padding:0 5px}
            figcaption .who{font-weight:700;color:var(--tc,#334155)}
            figcaption code{font-size:11.5px}
            figcaption .cap-note{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;overflow:hidden;
            color:var(--muted);font-size:11.5px}
            .timeline.focus figure.panel:not(.cur){display:none}
            .timeline.focus figure.panel{flex:0 0 auto}.timeline.focus figure.panel svg.tl{width:600px}
            svg.tl{display:block;overflow:visible}
            svg.tl text{font-family:var(--mono);font-size:10px;fill:#0f172a}
            svg.tl .colh{fill:#94a3b8;font-size:9px;letter-spacing:.05em}
            svg.tl .gl{font-weight:700;fill:#334155}
            svg.tl .gl.chg{fill:var(--chg)}svg.tl .gl.gone{fill:#94a3b8;text-decoration:line-through}
            svg.tl .e>rect{fill:#fff;stroke:#94a3b8}
            svg.tl .e.chg>rect{fill:#fff7ed;stroke:var(--chg);stroke-width:2}
            svg.tl .ghost>rect{fill:none;stroke:#cbd5e1;stroke-dasharray:3 2}
            svg.tl .e.ghost text{fill:#94a3b8;text-decoration:line-through}
            svg.tl .en{font-weight:700}svg.tl .eb{fill:#64748b;font-size:9px}
            svg.tl .hl{fill:var(--chg);font-weight:700}
            svg.tl .none{fill:#94a3b8;font-size:12px}
            svg.tl .f>rect{fill:#fff;stroke:#94a3b8}
            svg.tl .f.chg>rect{stroke:var(--chg);stroke-width:2.5}
            svg.tl .f.ghost>rect{fill:#f8fafc;stroke:#94a3b8;stroke-dasharray:4 3}
            svg.tl .fn{fill:#fff;font-weight:700;font-size:11px}
            svg.tl .ff{fill:#fff;font-size:9px}svg.tl .ff.hlw{font-weight:700;text-decoration:underline}
            svg.tl .fc .old{fill:#94a3b8}svg.tl .fc .bias{fill:#64748b;font-size:8.5px}
            svg.tl .cell rect{fill:#f1f5f9;stroke:#cbd5e1}
            svg.tl .cell.chg rect{fill:#ffedd5;stroke:var(--chg);stroke-width:1.5}
            svg.tl .ci{font-size:7.5px;fill:#94a3b8}svg.tl .cv{font-weight:700;font-size:11px}
            svg.tl .cell.chg .cv{fill:var(--chg)}
            svg.tl rect.watch,svg.tl .cell rect.watch{fill:none;stroke:#dc2626;stroke-width:2}
            svg.tl .wl{fill:#b91c1c;font-size:8.5px;font-weight:700}
            figcaption .final{display:block;color:#b91c1c;font-weight:700;font-family:var(--mono);font-size:11.5px}
            .watchkey{color:#b91c1c}
            svg.tl .ar{fill:none;stroke-width:1.5}
            svg.tl .ar.chg{stroke:var(--chg);stroke-width:2.5}svg.tl .ah.chg{fill:var(--chg)}
            svg.tl .ar.ghost{stroke:#cbd5e1;stroke-dasharray:3 3}svg.tl .ah.ghost{fill:#cbd5e1}
            svg.tl .zp rect{fill:#f1f5f9;stroke:#64748b;stroke-dasharray:2 2}svg.tl .zp.unused{opacity:.35}
            svg.tl .fz{fill:#475569}svg.tl .nt{fill:#475569}
            .glossary{padding:6px 24px 30px;border-top:1px solid var(--line);background:var(--soft)}
            .glossary h2{font-size:16px;margin:8px 0 0}
            .glossary dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:3px 14px;font-size:12.5px}
            .glossary dd{margin:0}
            .glossary dt:target,.glossary dt:target+dd{background:#fef9c3}
            .pop{position:fixed;z-index:20;max-width:460px;background:#0f172a;color:#f1f5f9;padding:8px 11px;
            border-radius:6px;font-size:12.5px;box-shadow:0 6px 20px rgba(15,23,42,.35)}
            .pop b{font-family:var(--mono)}.pop .src-ref{display:block;color:#94a3b8;margin-top:3px}
            .pop a{color:#93c5fd}
            @media (max-width:1000px){.dgrid{grid-template-columns:minmax(0,1fr)}}
            p.find{margin:8px 0 0}p.find input{font:inherit;padding:3px 8px;width:26em;max-width:90%;
            border:1px solid var(--line);border-radius:6px;background:#fff;color:var(--fg)}
            #shown{color:var(--muted);font-size:12px}
            tr.srow.hidden,tr.topic.hidden{display:none}
            section.cmp,section.established{margin-top:14px;border-top:1px solid var(--line);padding-top:8px}
            section.cmp h3,section.established h3{font-size:15px;margin:0 0 4px}
            section.established ul{margin:4px 0;padding-left:20px}section.established li{margin:2px 0}
            .cmp-ctl select{font:inherit;font-size:12.5px;padding:1px 4px;background:#fff;color:var(--fg);
            border:1px solid var(--line);border-radius:4px}
            table.cmpt{border-collapse:collapse;font-size:12.5px;width:100%}
            .cmpt th{background:#f1f5f9;padding:4px 8px;font-size:12px;text-align:left}
            .cmpt td{border-bottom:1px solid #eef2f7;padding:3px 8px;vertical-align:top}
            .cmpt td.n{color:var(--muted);text-align:right;font-family:var(--mono);white-space:nowrap}
            .cmpt td code{white-space:nowrap}
            .cmpt tr.part td{background:#fff7ed;border-top:2px solid var(--chg);border-bottom:2px solid var(--chg)}
            .cmpt .partmark{color:var(--chg);font-weight:700;font-family:system-ui,"DejaVu Sans",sans-serif}
            .cmp-why li.decides{margin:3px 0}.cmp-why .src-ref{color:var(--muted)}
            a.ext{text-decoration:underline dotted}
            @media (prefers-color-scheme: dark){
            :root{--fg:#e2e8f0;--muted:#94a3b8;--line:#334155;--soft:#0b1220}
            body{background:#0f172a;color:var(--fg)}
            .detail{background:#0f172a}
            p.find input{background:#111827;color:var(--fg)}
            .k-na{background:#1e293b;color:#94a3b8}
            .g-forbidden{background:#3f1d1d}.g-interesting{background:#3a2a0a}
            .cmpt th,.lanes th{background:#1e293b}.cmpt tr.part td{background:#431407}
            .cmp-ctl select{background:#111827}a{color:#93c5fd}
            }
            @media print{
            p.find,.backdrop,#pop{display:none!important}
            .detail{display:block!important;position:static!important;box-shadow:none!important;
            page-break-before:always}
            .mwrap{overflow:visible!important}
            body{background:#fff;color:#000}
            html.js body:not(.unpacked) .printnote{display:block;font-weight:700}
            }
            """;

    static final String JS = """
            (function () {
              'use strict';
              var openEl = null;
              var baseTitle = document.title;
              var activeTrace = null;
              var pop = document.getElementById('pop');

              // the filter box: rows whose scenario, topic or any cell's text contains every word typed
              var filter = document.getElementById('filter');
              if (filter) {
                filter.addEventListener('input', function () {
                  var words = filter.value.toLowerCase().split(/\\s+/).filter(function (w) { return w; });
                  var shown = 0;
                  var total = 0;
                  var lastTopic = null;
                  var topicHasRow = false;
                  each(document.querySelectorAll('#matrix tbody tr'), function (tr) {
                    if (tr.classList.contains('topic')) {
                      if (lastTopic) { lastTopic.classList.toggle('hidden', !topicHasRow); }
                      lastTopic = tr;
                      topicHasRow = false;
                      return;
                    }
                    total++;
                    var text = (tr.textContent + ' ' + (tr.getAttribute('data-topic') || '')).toLowerCase();
                    var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
                    tr.classList.toggle('hidden', !ok);
                    if (ok) { shown++; topicHasRow = true; }
                  });
                  if (lastTopic) { lastTopic.classList.toggle('hidden', !topicHasRow); }
                  document.getElementById('shown').textContent = words.length ? shown + ' of ' + total + ' scenarios' : '';
                });
                // report.html?q=WORDS opens the report filtered, so that a filtered view can be shared
                var q = new URLSearchParams(window.location.search).get('q');
                if (q) {
                  filter.value = q;
                  filter.dispatchEvent(new Event('input'));
                }
              }

              function each(list, fn) { Array.prototype.forEach.call(list, fn); }

              function find(id) {
                try { id = decodeURIComponent(id); } catch (e) { /* keep it as it is */ }
                return document.getElementById(id);
              }

              function mark(id, on) {
                each(document.querySelectorAll('td.cell'), function (td) {
                  if (td.getAttribute('data-cell') === id) {
                    td.classList.toggle('sel', on);
                    td.parentNode.classList.toggle('selrow', on);
                  }
                });
              }

              function open(id, scroll) {
                var el = id ? find(id) : null;
                if (id && (!el || !el.classList.contains('detail'))) { return false; }
                if (openEl) { openEl.classList.remove('open'); mark(openEl.id, false); }
                openEl = el;
                var hint = document.getElementById('hint');
                var backdrop = document.getElementById('backdrop');
                if (!el) {
                  document.body.removeAttribute('data-open');
                  document.body.classList.remove('has-open');
                  document.title = baseTitle;
                  if (hint) { hint.hidden = false; }
                  if (backdrop) { backdrop.hidden = true; }
                  return true;
                }
                if (hint) { hint.hidden = true; }
                if (backdrop) { backdrop.hidden = false; }
                document.body.classList.add('has-open');
                each(el.querySelectorAll('.tref'), function (ref) {
                  var src = document.querySelector('[data-tid="' + ref.getAttribute('data-ref') + '"]');
                  if (src) {
                    var copy = src.cloneNode(true);
                    copy.removeAttribute('data-tid');
                    ref.parentNode.replaceChild(copy, ref);
                  }
                });
                each(el.querySelectorAll('section.cmp'), initCmp);
                each(el.querySelectorAll('.timeline'), drawTimeline);
                each(el.querySelectorAll('nav.peers a.peer'), function (a) {
                  a.classList.toggle('here', a.getAttribute('href') === '#' + el.id);
                });
                var expl = el.getAttribute('data-expline');
                each(el.querySelectorAll('pre.src .sl'), function (s) {
                  s.classList.toggle('expline', s.getAttribute('data-l') === expl);
                });
                el.classList.add('open');
                el.scrollTop = 0;
                mark(el.id, true);
                document.body.setAttribute('data-open', el.id);
                document.title = el.getAttribute('data-scenario') + ' under ' + el.getAttribute('data-policy')
                    + ' \\u2014 pinlab';
                activeTrace = el.querySelector('.trace');
                var shown = 0;
                each(el.querySelectorAll('svg.tl'), function (svg) {
                  var r = svg.getBoundingClientRect();
                  if (r.width > 0 && r.height > 0) { shown++; }
                });
                el.setAttribute('data-shown-panels', String(shown));
                if (scroll && getComputedStyle(el).position !== 'fixed') { el.scrollIntoView({block: 'start'}); }
                return true;
              }

              // The page timeline of a trace (HtmlTimeline writes the states as JSON): one SVG per state, drawn when
              // its cell opens. Left: what names a page (PTEs by process, page-cache slots, holder slots); right: the
              // folios with refcount, mapcount, flags and cells; an arrow from each entry to its folio. What the step
              // changed is orange; what it removed is dashed. Every entry keeps its place in all panels.
              var TL = {W: 262, PAD: 5, EX: 5, EW: 114, FX: 154, FW: 103, LABEL_H: 16, ENTRY_H: 28, ENTRY_GAP: 4,
                GROUP_GAP: 6, FOLIO_H: 74, FOLIO_GAP: 10, ZERO_H: 24, NOTE_H: 13,
                PALETTE: ['#2563eb', '#0d9488', '#7c3aed', '#db2777', '#475569', '#65a30d', '#0369a1', '#a16207']};

              function esc(s) {
                return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
                    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
              }

              function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }

              function tlLayout(snaps) {
                var l = {groups: [], groupY: {}, entryY: {}, folios: [], folioY: {}, zeroY: -1, notes: 0};
                var byKey = {};
                var keys = [];
                var zero = false;
                function group(kind, owner) {
                  var k = kind + '|' + owner;
                  if (!has(byKey, k)) { byKey[k] = {kind: kind, owner: owner, entries: [], key: k}; keys.push(k); }
                  return byKey[k];
                }
                snaps.forEach(function (s) {
                  s.p.forEach(function (p) { group('pte', p[0]); });
                  s.e.forEach(function (e) {
                    var g = group(e[0], e[1]);
                    if (g.entries.indexOf(e[2]) < 0) { g.entries.push(e[2]); }
                    zero = zero || e[3] === 'zero-page';
                  });
                  s.f.forEach(function (f) { if (l.folios.indexOf(f[0]) < 0) { l.folios.push(f[0]); } });
                  l.notes = Math.max(l.notes, s.n.length);
                });
                ['pte', 'pagecache', 'holder'].forEach(function (kind) {
                  keys.forEach(function (k) { if (byKey[k].kind === kind) { l.groups.push(byKey[k]); } });
                });
                keys.forEach(function (k) { if (l.groups.indexOf(byKey[k]) < 0) { l.groups.push(byKey[k]); } });
                var y = TL.PAD;
                l.groups.forEach(function (g) {
                  l.groupY[g.key] = y;
                  y += TL.LABEL_H;
                  g.entries.forEach(function (e) { l.entryY[g.kind + '|' + e] = y; y += TL.ENTRY_H + TL.ENTRY_GAP; });
                  y += TL.GROUP_GAP;
                });
                var fy = TL.PAD + TL.LABEL_H;
                l.folios.forEach(function (f) { l.folioY[f] = fy; fy += TL.FOLIO_H + TL.FOLIO_GAP; });
                if (zero) { l.zeroY = fy; fy += TL.ZERO_H + TL.FOLIO_GAP; }
                l.notesY = Math.max(y, fy);
                l.height = l.notesY + l.notes * TL.NOTE_H + TL.PAD;
                l.colour = function (f) {
                  var i = l.folios.indexOf(f);
                  return i < 0 ? '#64748b' : TL.PALETTE[i % TL.PALETTE.length];
                };
                return l;
              }

              function tlRect(x, y, w, h, r) {
                return '<rect x="' + x + '" y="' + y + '" width="' + w + '" height="' + h + '" rx="' + r + '"/>';
              }

              function tlText(cls, x, y, s) {
                return '<text class="' + cls + '" x="' + x + '" y="' + y + '">' + esc(s) + '</text>';
              }

              function clip(s, max) { return s.length <= max ? s : s.substring(0, max - 1) + '\u2026'; }

              function statusText(st) {
                if (st === 'alive') { return ''; }
                if (st.indexOf('alive ') === 0) { return ' \u00b7 ' + st.substring(6).split('MMF_').join(''); }
                return ' ' + st;
              }

              function shortName(e) {
                var n = e[2];
                if (n.indexOf(e[1] + ':') === 0) { return n.substring(e[1].length + 1); }
                if (n.indexOf(e[1] + ' ') === 0) { return n.substring(e[1].length + 1); }
                return n;
              }

              function entryTitle(e, before, ghost) {
                var what = {pte: 'PTE ', holder: 'holder slot ', pagecache: 'page-cache slot '}[e[0]] || '';
                var s = what + e[2] + ' \u2192 ' + (e[3] === '' ? '-' : e[3]) + (e[4] === '' ? '' : ' (' + e[4] + ')');
                if (ghost) { return s + ': gone in this step'; }
                if (before && before[3] + before[4] !== e[3] + e[4]) {
                  s += '; was ' + before[3] + (before[4] === '' ? '' : ' (' + before[4] + ')');
                }
                return s;
              }

              function list(a) { return '[' + a.join(', ') + ']'; }

              function folioTitle(f, before, ghost) {
                var s = 'folio ' + f[0] + ': refcount ' + f[1] + ', mapcount ' + f[2] + ', flags '
                    + (f[3].length ? f[3].join(',') : 'none') + ', cells ' + list(f[4]) + (f[5] ? ', freed' : '');
                if (ghost) { return s + ' (gone in this step)'; }
                if (before) { s += '; before: refcount ' + before[1] + ', mapcount ' + before[2] + ', cells ' + list(before[4]); }
                return s;
              }

              function counter(name, now, before, x, y) {
                var s = '<text class="fc" x="' + x + '" y="' + y + '">' + name + ' ';
                s += now !== before ? '<tspan class="old">' + before + '</tspan>\u2192<tspan class="hl">' + now + '</tspan>'
                    : String(now);
                if (name === 'ref' && now >= 1024 && now === before) {
                  var pins = Math.floor(now / 1024);
                  s += '<tspan class="bias"> (' + pins + (pins === 1 ? ' pin)' : ' pins)') + '</tspan>';
                }
                return s + '</text>';
              }

              function tlArrow(x1, y1, x2, y2, cls, colour) {
                var style = cls === '' ? ' style="stroke:' + colour + '"' : '';
                var fill = cls === '' ? ' style="fill:' + colour + '"' : '';
                var end = x2 - 7;
                return '<path class="ar ' + cls + '"' + style + ' d="M' + x1 + ' ' + y1 + 'C' + (x1 + 26) + ' ' + y1 + ' '
                    + (end - 20) + ' ' + y2 + ' ' + end + ' ' + y2 + '"/>'
                    + '<path class="ah ' + cls + '"' + fill + ' d="M' + (end - 1) + ' ' + (y2 - 4) + 'L' + x2 + ' ' + y2
                    + 'L' + (end - 1) + ' ' + (y2 + 4) + 'z"/>';
              }

              function byName(list, i) {
                var m = {};
                list.forEach(function (x) { m[i(x)] = x; });
                return m;
              }

              function tlFolio(lay, y, f, p, compare, watched) {
                var ghost = !f;
                var s = ghost ? p : f;
                var isNew = compare && !ghost && !p;
                var freed = !!s[5];
                var freedNow = freed && compare && p && !p[5];
                var cls = 'f' + (ghost || freed ? ' ghost' : '') + (isNew || freedNow ? ' chg' : '');
                var colour = ghost || freed ? '#94a3b8' : lay.colour(s[0]);
                var FX = TL.FX;
                var FW = TL.FW;
                var o = '<g class="' + cls + '"><title>' + esc(folioTitle(s, p, ghost)) + '</title>';
                o += tlRect(FX, y, FW, TL.FOLIO_H, 5);
                o += '<path class="fh" d="M' + FX + ' ' + (y + 16) + 'v-11a5 5 0 0 1 5 -5h' + (FW - 10)
                    + 'a5 5 0 0 1 5 5v11z" style="fill:' + colour + '"/>';
                o += tlText('fn', FX + 6, y + 12, s[0]);
                var flags = ghost ? 'gone' : freed ? 'freed' : s[3].join(' ');
                var flagsChanged = compare && !ghost && p && JSON.stringify(p[3]) !== JSON.stringify(s[3]);
                o += tlText('ff' + (flagsChanged ? ' hlw' : ''), FX + 18, y + 12, clip(flags, 17));
                var old = compare && !ghost && p;
                o += counter('ref', s[1], old ? p[1] : s[1], FX + 6, y + 29);
                o += counter('map', s[2], old ? p[2] : s[2], FX + 6, y + 42);
                var n = s[4].length;
                if (n > 0) {
                  var gap = 4;
                  var cw = Math.floor((FW - 12 - (n - 1) * gap) / n);
                  for (var i = 0; i < n; i++) {
                    var x = FX + 6 + i * (cw + gap);
                    var chg = compare && !ghost && p && i < p[4].length && p[4][i] !== s[4][i];
                    o += '<g class="cell' + (chg ? ' chg' : '') + '">' + tlRect(x, y + 50, cw, 18, 3)
                        + tlText('ci', x + 3, y + 58, '[' + i + ']');
                    var v = String(s[4][i]);
                    if (chg) { v = p[4][i] + '\u2192' + v; }
                    o += '<text class="cv" x="' + (x + Math.floor(cw / 2) + 6) + '" y="' + (y + 63)
                        + '" text-anchor="middle">' + esc(v) + '</text>';
                    var w = ghost ? null : watched[s[0] + '#' + i];
                    if (w) {
                      o += '<rect class="watch" x="' + (x - 2) + '" y="' + (y + 48) + '" width="' + (cw + 4)
                          + '" height="22" rx="4"><title>' + esc(w.join(', ') + ' reads this cell') + '</title></rect>';
                    }
                    o += '</g>';
                  }
                }
                return o + '</g>';
              }

              function tlSvg(lay, prev, cur, k) {
                var watched = {};
                (cur.w || []).forEach(function (w) { watched[w[0]] = w[1]; });
                var o = '<svg class="tl" data-step="' + k + '" viewBox="0 0 ' + TL.W + ' ' + lay.height + '" width="'
                    + TL.W + '" height="' + lay.height + '" role="img" aria-label="'
                    + (k === 0 ? 'pages after setup' : 'pages after step ' + k) + '">';
                o += '<text class="colh" x="' + TL.FX + '" y="' + (TL.PAD + 11) + '">folios</text>';
                function key(e) { return e[0] + '|' + e[2]; }
                var now = byName(cur.e, key);
                var before = prev ? byName(prev.e, key) : {};
                var procNow = byName(cur.p, function (p) { return p[0]; });
                var procBefore = prev ? byName(prev.p, function (p) { return p[0]; }) : {};
                var arrows = [];
                lay.groups.forEach(function (g) {
                  var gy = lay.groupY[g.key];
                  var anyNow = g.entries.some(function (e) { return has(now, g.kind + '|' + e); });
                  var anyBefore = g.entries.some(function (e) { return has(before, g.kind + '|' + e); });
                  var label;
                  var cls = 'gl';
                  if (g.kind === 'pte') {
                    var p = has(procNow, g.owner) ? procNow[g.owner] : null;
                    if (!p) {
                      if (!has(procBefore, g.owner)) { return; }
                      label = 'process ' + g.owner + ' gone';
                      cls += ' gone';
                    } else {
                      label = 'process ' + g.owner + statusText(p[1]);
                      var q = has(procBefore, g.owner) ? procBefore[g.owner] : null;
                      if (prev && (!q || q[1] !== p[1])) { cls += ' chg'; }
                      if (p[1] === 'exited') { cls += ' gone'; }
                    }
                  } else {
                    if (!anyNow && !anyBefore) { return; }
                    label = (g.kind === 'holder' ? 'holder ' : 'page cache ') + g.owner;
                    if (!anyNow) {
                      label += ' (released)';
                      cls += ' gone';
                    } else if (prev && !anyBefore) {
                      cls += ' chg';
                    }
                  }
                  o += tlText(cls, TL.EX, gy + 12, label);
                  g.entries.forEach(function (name) {
                    var k2 = g.kind + '|' + name;
                    var y = lay.entryY[k2];
                    var e = has(now, k2) ? now[k2] : null;
                    var pe = has(before, k2) ? before[k2] : null;
                    if (!e && !pe) { return; }
                    var ghost = !e;
                    var show = ghost ? pe : e;
                    var isNew = !ghost && prev && !pe;
                    var targetChanged = !ghost && pe && pe[3] !== e[3];
                    var bitsChanged = !ghost && pe && pe[4] !== e[4];
                    var ecls = 'e' + (ghost ? ' ghost' : '') + (isNew || targetChanged || bitsChanged ? ' chg' : '');
                    o += '<g class="' + ecls + '"><title>' + esc(entryTitle(show, pe, ghost)) + '</title>';
                    o += tlRect(TL.EX, y, TL.EW, TL.ENTRY_H, 4);
                    o += tlText('en', TL.EX + 5, y + 12, clip(shortName(show), 18));
                    o += tlText('eb' + (bitsChanged ? ' hl' : ''), TL.EX + 5, y + 23, clip(show[4].split('FOLL_').join(''), 21));
                    var target = show[3];
                    if (target === '' || target === '-') { o += tlText('none', TL.EX + TL.EW - 10, y + 18, '\u2205'); }
                    o += '</g>';
                    if (target !== '' && target !== '-') {
                      arrows.push({y: y + TL.ENTRY_H / 2, target: target,
                        cls: ghost ? 'ghost' : isNew || targetChanged ? 'chg' : ''});
                    }
                  });
                });
                var fnow = byName(cur.f, function (f) { return f[0]; });
                var fbefore = prev ? byName(prev.f, function (f) { return f[0]; }) : {};
                lay.folios.forEach(function (name) {
                  var f = has(fnow, name) ? fnow[name] : null;
                  var p = has(fbefore, name) ? fbefore[name] : null;
                  if (!f && !p) { return; }
                  o += tlFolio(lay, lay.folioY[name], f, p, !!prev, watched);
                });
                if (lay.zeroY >= 0) {
                  var used = arrows.some(function (a) { return a.target === 'zero-page'; });
                  o += '<g class="zp' + (used ? '' : ' unused') + '"><title>the shared zero page</title>';
                  o += tlRect(TL.FX, lay.zeroY, TL.FW, TL.ZERO_H, 5);
                  o += tlText('fz', TL.FX + 8, lay.zeroY + 16, 'zero page');
                  var zw = watched['zero-page#-1'];
                  if (zw) {
                    o += '<rect class="watch" x="' + (TL.FX - 2) + '" y="' + (lay.zeroY - 2) + '" width="' + (TL.FW + 4)
                        + '" height="' + (TL.ZERO_H + 4) + '" rx="6"><title>' + esc(zw.join(', ') + ' reads the zero page')
                        + '</title></rect>';
                  }
                  o += '</g>';
                }
                // arrows last, spread along the target's left edge in the order of their sources
                var targets = [];
                var byTarget = {};
                arrows.forEach(function (a) {
                  if (!has(byTarget, a.target)) { byTarget[a.target] = []; targets.push(a.target); }
                  byTarget[a.target].push(a);
                });
                targets.forEach(function (target) {
                  var top;
                  var h;
                  if (target === 'zero-page') {
                    top = lay.zeroY;
                    h = TL.ZERO_H;
                  } else if (has(lay.folioY, target)) {
                    top = lay.folioY[target] + 16;
                    h = TL.FOLIO_H - 16;
                  } else {
                    return;
                  }
                  var all = byTarget[target].slice().sort(function (a, b) { return a.y - b.y; });
                  all.forEach(function (a, i) {
                    var y2 = all.length === 1 ? top + Math.floor(h / 2) : top + 8 + Math.floor(i * (h - 16) / (all.length - 1));
                    var colour = target === 'zero-page' ? '#64748b' : lay.colour(target);
                    o += tlArrow(TL.EX + TL.EW, a.y, TL.FX, y2, a.cls, colour);
                  });
                });
                if (lay.notes > 0) {
                  var was = prev ? prev.n : [];
                  var y = lay.notesY;
                  cur.n.forEach(function (n) {
                    var chg = prev && was.indexOf(n) < 0;
                    o += tlText('nt' + (chg ? ' hl' : ''), TL.EX, y + 10, n);
                    y += TL.NOTE_H;
                  });
                }
                return o + '</svg>';
              }

              function drawTimeline(tl) {
                if (tl.getAttribute('data-drawn')) { return; }
                var data = tl.nextElementSibling;
                if (!data || !data.classList.contains('tl-data')) { return; }
                var snaps = JSON.parse(data.textContent);
                var lay = tlLayout(snaps);
                var figs = tl.querySelectorAll('figure.panel');
                for (var k = 0; k < snaps.length && k < figs.length; k++) {
                  figs[k].insertAdjacentHTML('beforeend', tlSvg(lay, k === 0 ? null : snaps[k - 1], snaps[k], k));
                }
                tl.setAttribute('data-drawn', '1');
              }

              // Each row's details are written packed (gzip, then base64, in a script element the browser does not
              // run): a row is unpacked in place, where its sections would be, the first time one of its cells opens.
              var unpacking = {};
              function unpackRow(r) {
                if (has(unpacking, r)) { return unpacking[r]; }
                var s = document.querySelector('script[data-row="' + r + '"]');
                if (!s) { unpacking[r] = Promise.resolve(); return unpacking[r]; }
                if (typeof DecompressionStream === 'undefined') {
                  unpacking[r] = Promise.reject(new Error('this browser has no DecompressionStream to unpack the details'));
                  return unpacking[r];
                }
                var bin = atob(s.textContent);
                var bytes = new Uint8Array(bin.length);
                for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
                unpacking[r] = new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text()
                    .then(function (html) {
                      var t = document.createElement('template');
                      t.innerHTML = html;
                      s.parentNode.replaceChild(t.content, s);
                    });
                return unpacking[r];
              }

              function rowOf(id) {
                try { id = decodeURIComponent(id); } catch (e) { /* keep it as it is */ }
                var row = null;
                each(document.querySelectorAll('td.cell'), function (td) {
                  if (row === null && td.getAttribute('data-cell') === id) { row = td.parentNode.getAttribute('data-row'); }
                });
                return row;
              }

              // unpacks the row of cell id, then the rows holding the blocks its references copy
              function unpackFor(id) {
                var r = rowOf(id);
                if (r === null) { return Promise.resolve(); }
                return unpackRow(r).then(function () {
                  var el = find(id);
                  var more = [];
                  if (el) {
                    each(el.querySelectorAll('.tref[data-row]'), function (ref) { more.push(unpackRow(ref.getAttribute('data-row'))); });
                  }
                  return Promise.all(more);
                });
              }

              // every row, one at a time when the page is idle, so that printing finds every cell's details
              var unpackedAll = null;
              function unpackAll(idle) {
                if (unpackedAll) { return unpackedAll; }
                var rows = [];
                each(document.querySelectorAll('script[data-row]'), function (s) { rows.push(s.getAttribute('data-row')); });
                var later = idle && window.requestIdleCallback ? function (f) { window.requestIdleCallback(f, {timeout: 500}); }
                    : function (f) { setTimeout(f, 0); };
                unpackedAll = new Promise(function (resolve, reject) {
                  var k = 0;
                  function next() {
                    if (k >= rows.length) { document.body.classList.add('unpacked'); resolve(); return; }
                    unpackRow(rows[k++]).then(function () { later(next); }, reject);
                  }
                  later(next);
                });
                return unpackedAll;
              }

              function drawAll() {
                each(document.querySelectorAll('.timeline'), drawTimeline);
                each(document.querySelectorAll('section.cmp'), function (sec) { initCmp(sec); });
              }

              // Printing shows every cell: draw what an opened cell would draw. beforeprint cannot wait, so it draws
              // the rows unpacked by then (all of them once the page has settled; until then the printout says some
              // are missing); window.print() unpacks every row first.
              window.addEventListener('beforeprint', drawAll);
              var print = window.print;
              window.print = function () {
                unpackAll(false).then(function () { drawAll(); print.call(window); });
              };
              function settle() { unpackAll(true).catch(function () { /* a cell opened says why */ }); }
              if (document.readyState === 'complete') {
                settle();
              } else {
                window.addEventListener('load', settle);
              }

              // side-by-side comparisons, drawn from the row's JSON block when a cell opens (HtmlCompare)
              var cmpData = {};
              function cmpJson(id) {
                if (!Object.prototype.hasOwnProperty.call(cmpData, id)) {
                  var s = document.getElementById(id);
                  cmpData[id] = s ? JSON.parse(s.textContent) : null;
                }
                return cmpData[id];
              }

              function mk(tag, cls, text) {
                var e = document.createElement(tag);
                if (cls) { e.className = cls; }
                if (text !== undefined && text !== null) { e.textContent = text; }
                return e;
              }

              function slug(s) { return s.replace(/[^A-Za-z0-9._-]/g, '_') || '_'; }

              function ruleRef(id) {
                var dt = document.getElementById('rule-' + slug(id));
                if (!dt) { return mk('span', 'rule', id); }
                var a = mk('a', 'rule', id);
                a.setAttribute('href', '#rule-' + slug(id));
                a.setAttribute('data-rule', id);
                var dd = dt.nextElementSibling;
                var src = dd ? dd.querySelector('.muted') : null;
                a.title = (dd && dd.firstChild ? dd.firstChild.textContent : '') + '\\n' + (src ? src.textContent : '');
                return a;
              }

              function isFailing(col) { return col.k.indexOf('k-fail') === 0 || col.k === 'k-vio'; }

              function partner(d, col) {
                var me = d.cols[col];
                var best = -1;
                for (var dist = 1; dist < d.cols.length && best < 0; dist++) {
                  [col - dist, col + dist].forEach(function (i) {
                    if (best >= 0 || i < 0 || i >= d.cols.length || !d.cols[i].on) { return; }
                    var o = d.cols[i];
                    if (isFailing(me) ? !isFailing(o) : isFailing(o)) { best = i; }
                  });
                }
                for (var j = 0; j < d.cols.length && best < 0; j++) {
                  if (j !== col && d.cols[j].on && d.cols[j].c !== me.c) { best = j; }
                }
                return best;
              }

              function initCmp(sec) {
                if (sec.getAttribute('data-ready')) { return; }
                var d = cmpJson(sec.getAttribute('data-cmp'));
                if (!d) { return; }
                var col = +sec.getAttribute('data-col');
                var ctl = mk('p', 'cmp-ctl');
                var sa = mk('select');
                var sb = mk('select');
                sa.setAttribute('data-side', 'a');
                sb.setAttribute('data-side', 'b');
                sa.setAttribute('aria-label', 'first policy');
                sb.setAttribute('aria-label', 'second policy');
                d.cols.forEach(function (c, i) {
                  if (!c.on) { return; }
                  [sa, sb].forEach(function (s) {
                    var o = mk('option', null, c.p + ' \u2014 ' + c.c);
                    o.value = String(i);
                    s.appendChild(o);
                  });
                });
                var other = partner(d, col);
                sa.value = String(col);
                sb.value = String(other < 0 ? col : other);
                ctl.appendChild(document.createTextNode('compare '));
                ctl.appendChild(sa);
                ctl.appendChild(document.createTextNode(' with '));
                ctl.appendChild(sb);
                sec.appendChild(ctl);
                sec.appendChild(mk('div', 'cmp-out'));
                sa.addEventListener('change', function () { drawCmp(sec); });
                sb.addEventListener('change', function () { drawCmp(sec); });
                sec.setAttribute('data-ready', '1');
                drawCmp(sec);
              }

              function stepCell(td, step) {
                step[2].forEach(function (r) { td.appendChild(ruleRef(r)); td.appendChild(document.createTextNode(' ')); });
                if (step[3].length) { td.appendChild(mk('span', 'note', step[3].join('; '))); }
              }

              function drawCmp(sec) {
                var d = cmpJson(sec.getAttribute('data-cmp'));
                var a = +sec.querySelector('select[data-side=a]').value;
                var b = +sec.querySelector('select[data-side=b]').value;
                var out = sec.querySelector('.cmp-out');
                out.textContent = '';
                sec.setAttribute('data-pair', a + '-' + b);
                var lo = Math.min(a, b);
                var hi = Math.max(a, b);
                var pair = null;
                d.pairs.forEach(function (p) { if (p.a === lo && p.b === hi) { pair = p; } });
                var A = d.cols[a];
                var B = d.cols[b];
                if (a === b) { out.appendChild(mk('p', 'muted', 'Pick two different policies.')); return; }
                if (!pair) {
                  out.appendChild(mk('p', 'muted', 'Both give ' + A.c + '. The report works out comparisons only for'
                      + ' cells whose results differ; pinlab diff ' + d.file + ' ' + A.p + ' ' + B.p + ' compares these two.'));
                  return;
                }
                if (pair.kind !== 'RUN') {
                  out.appendChild(mk('p', null, pair.kind === 'NO_RUN' ? 'Neither policy has a run where the'
                      + ' condition\\'s expression ' + pair.side + ' (nor one with a kernel event) to replay: ' + A.p
                      + ' is ' + A.c + ', ' + B.p + ' is ' + B.c + '; their violations and outcomes say why.'
                      : 'A limit stopped a search: no comparison.'));
                  return;
                }
                var F = d.cols[pair.from];
                var T = pair.from === lo ? d.cols[hi] : d.cols[lo];
                var there = d.runs[pair.there];
                var here = d.runs[pair.here];
                out.appendChild(mk('p', 'cmp-head', T.p + ' is ' + T.c + ', ' + F.p + ' is ' + F.c + ': ' + F.p
                    + '\\'s shortest run where the condition\\'s expression ' + pair.side
                    + ', replayed thread for thread under ' + T.p + '.'));
                var wrap = mk('div', 'lanes-wrap');
                var table = mk('table', 'cmpt');
                var head = mk('tr');
                ['#', 'thread', 'operation', 'under ' + F.p + ' (' + F.c + ')', 'under ' + T.p + ' (' + T.c + ')']
                    .forEach(function (h) { head.appendChild(mk('th', null, h)); });
                var thead = mk('thead');
                thead.appendChild(head);
                table.appendChild(thead);
                var tbody = mk('tbody');
                there.st.forEach(function (s, i) {
                  var tr = mk('tr', i === pair.first ? 'part' : null);
                  var n = mk('td', 'n', String(i + 1));
                  if (i === pair.first) { n.appendChild(mk('span', 'partmark', ' they part here')); }
                  tr.appendChild(n);
                  tr.appendChild(mk('td', null, there.t[s[0]]));
                  var op = mk('td');
                  op.appendChild(mk('code', null, s[1]));
                  tr.appendChild(op);
                  var l = mk('td', 'rules');
                  stepCell(l, s);
                  tr.appendChild(l);
                  var r = mk('td', 'rules');
                  if (i < here.st.length) { stepCell(r, here.st[i]); } else { r.appendChild(mk('i', 'muted', 'cannot step here')); }
                  tr.appendChild(r);
                  tbody.appendChild(tr);
                });
                table.appendChild(tbody);
                wrap.appendChild(table);
                out.appendChild(wrap);
                var why = mk('div', 'cmp-why');
                if (pair.first < 0) {
                  why.appendChild(mk('p', null, 'The run takes the same rules under both; they part only in what the'
                      + ' final state means.'));
                } else {
                  var s = there.st[pair.first];
                  why.appendChild(mk('p', null, 'Step ' + (pair.first + 1) + ' (' + there.t[s[0]] + ': ' + s[1]
                      + ') parts them. The rules only one side took there:'));
                  var ul = mk('ul');
                  if (pair.first >= here.st.length) {
                    ul.appendChild(mk('li', null, 'under ' + T.p + ' the thread cannot take this step (it waits, or the'
                        + ' run went another way before)'));
                  }
                  pair.part.forEach(function (x) {
                    var li = mk('li', 'decides');
                    li.appendChild(document.createTextNode('only under ' + (x[0] === 0 ? F.p : T.p) + ': '));
                    li.appendChild(ruleRef(x[1]));
                    var dt = document.getElementById('rule-' + slug(x[1]));
                    var dd = dt ? dt.nextElementSibling : null;
                    if (dd) {
                      li.appendChild(document.createTextNode(' \u2014 ' + (dd.firstChild ? dd.firstChild.textContent : '')));
                      var src = dd.querySelector('.muted');
                      if (src) {
                        var c = src.cloneNode(true);
                        c.className = 'src-ref';
                        li.appendChild(mk('br'));
                        li.appendChild(document.createTextNode('source: '));
                        li.appendChild(c);
                      }
                    }
                    ul.appendChild(li);
                  });
                  why.appendChild(ul);
                }
                var stops = here.st.length < there.st.length;
                why.appendChild(mk('p', 'cmp-end', F.p + ' ends in ' + (there.end === null ? 'no final state' : there.end)
                    + '; ' + T.p + (stops ? ' stops after step ' + here.st.length : ' ends in '
                    + (here.end === null ? 'no final state' : here.end)) + ' (' + T.c + ' there in every run it explores).'));
                out.appendChild(why);
              }

              // Every way a cell opens comes here: the fragment on load, and every change of it (a click on a matrix
              // cell, a peer link, an "As in" link, the back button). The cell's row is unpacked first, then the rows
              // its references copy from; a later change of the fragment wins over one still unpacking.
              var wanted = 0;
              function fromHash(scroll) {
                var h = location.hash.slice(1);
                var token = ++wanted;
                if (h === '') { open(null, false); return; }
                if (h.indexOf('cell-') !== 0) { return; }
                unpackFor(h).then(function () {
                  if (token === wanted) { open(h, scroll); }
                }, function (e) {
                  var hint = document.getElementById('hint');
                  if (hint) { hint.hidden = false; hint.textContent = 'The details of this cell could not be unpacked: ' + e; }
                });
              }

              function setStep(tr, k) {
                var n = +tr.getAttribute('data-steps');
                k = Math.max(0, Math.min(n, k));
                tr.setAttribute('data-cur', String(k));
                activeTrace = tr;
                var line = null;
                each(tr.querySelectorAll('tr.st'), function (row) {
                  var on = +row.getAttribute('data-step') === k;
                  row.classList.toggle('cur', on);
                  if (on) { line = row.getAttribute('data-line'); }
                });
                var fig = null;
                each(tr.querySelectorAll('figure.panel'), function (f) {
                  var on = +f.getAttribute('data-step') === k;
                  f.classList.toggle('cur', on);
                  if (on) { fig = f; }
                });
                var range = tr.querySelector('.stepper input[type=range]');
                if (range) { range.value = String(k); }
                var pos = tr.querySelector('.stepper .pos');
                if (pos && fig) {
                  var parts = [];
                  each(fig.querySelectorAll('figcaption .who, figcaption code, figcaption .cap-note'), function (x) {
                    parts.push(x.textContent);
                  });
                  pos.textContent = (k === 0 ? 'after setup' : 'step ' + k + ' of ' + n + ': ' + parts.join(' \u2014 '));
                }
                hot(tr.closest('.detail'), line);
                if (fig) { fig.scrollIntoView({block: 'nearest', inline: 'nearest'}); }
              }

              function hot(detail, line) {
                if (!detail) { return; }
                each(detail.querySelectorAll('pre.src .sl'), function (s) {
                  s.classList.toggle('hot', line !== null && s.getAttribute('data-l') === line);
                });
              }

              function current(tr) {
                var c = tr.getAttribute('data-cur');
                return c === null ? -1 : +c;
              }

              function step(tr, delta) {
                var n = +tr.getAttribute('data-steps');
                var c = current(tr);
                setStep(tr, c < 0 ? (delta > 0 ? 0 : n) : c + delta);
              }

              function showPop(a) {
                var id = a.getAttribute('data-rule');
                var dt = document.getElementById('rule-' + a.getAttribute('href').slice(6));
                var dd = dt ? dt.nextElementSibling : null;
                pop.textContent = '';
                var b = document.createElement('b');
                b.textContent = id;
                pop.appendChild(b);
                pop.appendChild(document.createTextNode(' '));
                if (dd) {
                  var s = dd.querySelector('.muted');
                  pop.appendChild(document.createTextNode(dd.firstChild ? dd.firstChild.textContent : ''));
                  var src = document.createElement('span');
                  src.className = 'src-ref';
                  src.textContent = s ? s.textContent : '';
                  pop.appendChild(src);
                }
                pop.hidden = false;
                var r = a.getBoundingClientRect();
                var left = Math.min(r.left, document.documentElement.clientWidth - 470);
                pop.style.left = Math.max(4, left) + 'px';
                pop.style.top = (r.bottom + 4) + 'px';
              }

              document.addEventListener('click', function (ev) {
                var t = ev.target;
                if (!t.closest) { return; }
                var rule = t.closest('a.rule');
                if (rule) { ev.preventDefault(); showPop(rule); return; }
                if (!t.closest('#pop')) { pop.hidden = true; }
                if (t.closest('a.close') || t.id === 'backdrop') {
                  ev.preventDefault();
                  history.pushState(null, '', location.pathname + location.search);
                  open(null, false);
                  return;
                }
                var td = t.closest('td.cell');
                if (td && !t.closest('a')) { location.hash = td.getAttribute('data-cell'); return; }
                var tr = t.closest('.trace');
                if (!tr) { return; }
                var btn = t.closest('.stepper button');
                if (btn) { step(tr, btn.getAttribute('data-act') === 'next' ? 1 : -1); return; }
                if (t.closest('details, a, input, label')) { return; }
                var row = t.closest('tr.st') || t.closest('figure.panel');
                if (row) { setStep(tr, +row.getAttribute('data-step')); }
              });

              document.addEventListener('input', function (ev) {
                var t = ev.target;
                if (t.matches && t.matches('.stepper input[type=range]')) { setStep(t.closest('.trace'), +t.value); }
              });

              document.addEventListener('change', function (ev) {
                var t = ev.target;
                if (t.matches && t.matches('.stepper input[data-act=focus]')) {
                  var tr = t.closest('.trace');
                  tr.querySelector('.timeline').classList.toggle('focus', t.checked);
                  setStep(tr, current(tr) < 0 ? 0 : current(tr));
                }
              });

              document.addEventListener('mouseover', function (ev) {
                var row = ev.target.closest ? ev.target.closest('tr.st') : null;
                if (row) { hot(row.closest('.detail'), row.getAttribute('data-line')); }
              });

              document.addEventListener('keydown', function (ev) {
                if (ev.target.matches && ev.target.matches('input, textarea, select')) { return; }
                if (ev.key === 'Escape') {
                  if (!pop.hidden) { pop.hidden = true; return; }
                  if (openEl) { history.pushState(null, '', location.pathname + location.search); open(null, false); }
                } else if ((ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') && openEl && activeTrace) {
                  ev.preventDefault();
                  step(activeTrace, ev.key === 'ArrowRight' ? 1 : -1);
                }
              });

              window.addEventListener('hashchange', function () { fromHash(true); });
              fromHash(true);
            })();
            """;
}
