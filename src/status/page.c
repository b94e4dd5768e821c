/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The status page for people: one HTML document with its CSS and script
 * inline (no external asset, no CDN: it works offline and on a private
 * network), which fetches /status.json from the same listener and redraws
 * the tables in place every two seconds. The script builds the DOM with
 * textContent only, so nothing a worker reports (its STATUS=, a request
 * line) can become markup. serve.c sends it with a Content-Security-Policy
 * that allows exactly this inline script and style (by nonce) and
 * connections to its own origin.
 */
#include <stdio.h>

#include "status/status.h"

static const char *const state_names[] = {"gone", "starting", "ready",
					  "stopping"};

static void
result(struct status_buf *b, const char *key, const struct status_result *r)
{
	status_buf_printf(b, ",\"%s\":", key);
	if (!r->done) {
		status_buf_printf(b, "null");
		return;
	}
	status_buf_printf(b,
			  "{\"ok\":%s,\"at\":%lld,\"generation\":%d,"
			  "\"reason\":",
			  r->ok ? "true" : "false", (long long)r->at_s,
			  r->generation);
	status_buf_json(b, r->reason);
	status_buf_printf(b, "}");
}

void
status_json(const struct status_view *v, struct status_buf *b)
{
	const struct status_state *st = &v->st;
	char why[160];
	bool ready = status_ready(v, why, sizeof(why));
	bool first = true;
	int i;

	status_buf_printf(b, "{\"version\":");
	status_buf_json(b, st->version);
	status_buf_printf(b,
			  ",\"ready\":%s,\"why\":", ready ? "true" : "false");
	status_buf_json(b, why);
	if (!v->have) {
		status_buf_printf(b, ",\"workers\":[]}\n");
		return;
	}
	status_buf_printf(
		b,
		",\"master_pid\":%d,\"generation\":%d,\"started_at\":%lld,"
		"\"wanted\":%d,\"ready_workers\":%d,\"starting\":%d,"
		"\"stopping_workers\":%d,\"min_ready\":%d,\"draining\":%s,"
		"\"stopping\":%s,\"restarts\":%llu,\"listeners\":[",
		st->master_pid, st->generation, (long long)st->started_at_s,
		st->wanted, st->ready, st->starting, st->stopping_n,
		st->min_ready, st->draining ? "true" : "false",
		st->stopping ? "true" : "false",
		(unsigned long long)st->restarts);
	for (i = 0; i < st->nlisteners && i < STATUS_LISTENERS_MAX; i++) {
		if (i > 0)
			status_buf_printf(b, ",");
		status_buf_json(b, st->listeners[i]);
	}
	status_buf_printf(b, "]");
	result(b, "last_reload", &st->last_reload);
	result(b, "last_upgrade", &st->last_upgrade);
	status_buf_printf(b, ",\"workers\":[");
	for (i = 0; i < v->nslots; i++) {
		const struct status_worker *w = &v->w[i];
		const struct scoreboard_view *s = &v->sv[i];
		int64_t since = w->state == STATUS_WORKER_READY ? w->ready_ms
								: w->started_ms;

		if (!w->used || w->state == STATUS_WORKER_GONE || w->pid <= 0)
			continue;
		status_buf_printf(
			b,
			"%s{\"number\":%d,\"pid\":%d,\"generation\":%d,"
			"\"state\":\"%s\",\"state_for_s\":%.1f,\"restarts\":%d,"
			"\"rss_bytes\":%llu,\"last_exit\":",
			first ? "" : ",", w->number, w->pid, w->generation,
			state_names[w->state & 3],
			since > 0 ? (double)(v->now_ms - since) / 1000.0 : 0.0,
			w->restarts, (unsigned long long)status_rss(w->pid));
		first = false;
		status_buf_json(b, w->last_exit);
		if (!w->in_process) {
			status_buf_printf(b, ",\"phase\":null}");
			continue;
		}
		status_buf_printf(b, ",\"phase\":");
		status_buf_json(b, scoreboard_phase_name(s->phase));
		status_buf_printf(b, ",\"phase_for_s\":%.1f,\"doing\":",
				  s->busy_ms > 0
					  ? (double)(v->now_ms - s->busy_ms) /
						    1000.0
					  : 0.0);
		status_buf_json(b,
				s->phase == SCOREBOARD_HANDLER ? s->line : "");
		status_buf_printf(b,
				  ",\"requests\":%llu,\"connections\":%llu,"
				  "\"bytes_in\":%llu,\"bytes_out\":%llu}",
				  (unsigned long long)s->requests,
				  (unsigned long long)s->connections,
				  (unsigned long long)s->bytes_in,
				  (unsigned long long)s->bytes_out);
	}
	status_buf_printf(b, "]}\n");
}

/* NONCE is replaced by serve.c with the response's own nonce. */
const char status_page_html[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width\">\n"
	"<title>herd status</title>\n<style nonce=\"NONCE\">\n"
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;"
	"background:#fafafa}\n"
	"h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.2em "
	"0 .4em}\n"
	"table{border-collapse:collapse;background:#fff}\n"
	"th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}\n"
	"th{background:#eee}td.n{text-align:right;font-variant-numeric:"
	"tabular-nums}\n"
	".ok{color:#060}.bad{color:#a00}#err{color:#a00}\n"
	"code{font-size:.95em}\n</style></head><body>\n"
	"<h1>herd <span id=\"version\"></span></h1>\n"
	"<p id=\"summary\">loading…</p><p id=\"err\"></p>\n"
	"<h2>Workers</h2>\n<table id=\"workers\"><thead><tr><th>#</th>"
	"<th>pid</th><th>gen</th><th>state</th><th>phase</th><th>doing</th>"
	"<th>for</th><th>requests</th><th>memory</th><th>restarts</th>"
	"<th>last exit</th></tr></thead><tbody></tbody></table>\n"
	"<h2>Listeners</h2>\n<ul id=\"listeners\"></ul>\n"
	"<h2>Last reload and upgrade</h2>\n<ul id=\"results\"></ul>\n"
	"<p><small>refreshed every 2 s from <a href=\"status.json\">"
	"status.json</a>; <a href=\"metrics\">metrics</a></small></p>\n"
	"<script nonce=\"NONCE\">\n"
	"'use strict';\n"
	"function el(t,txt,cls){const e=document.createElement(t);"
	"if(txt!==undefined)e.textContent=String(txt);if(cls)e.className=cls;"
	"return e}\n"
	"function mem(b){if(!b)return '';const u=['B','KiB','MiB','GiB'];"
	"let i=0;while(b>=1024&&i<3){b/=1024;i++}return b.toFixed(i?1:0)+' '+"
	"u[i]}\n"
	"function dur(s){if(s===undefined||s===null)return '';if(s<60)return "
	"s.toFixed(1)+' s';if(s<3600)return (s/60).toFixed(1)+' min';return "
	"(s/3600).toFixed(1)+' h'}\n"
	"function res(name,r){const li=el('li');if(!r){li.textContent=name+"
	"': none';return li}li.append(name+': ',el('span',r.ok?'ok':'rolled "
	"back',r.ok?'ok':'bad'),' — generation '+r.generation+', '+new "
	"Date(r.at*1000).toISOString()+' — '+r.reason);return li}\n"
	"function draw(s){document.getElementById('version').textContent="
	"s.version;\n"
	"const sum=document.getElementById('summary');sum.textContent='';"
	"sum.append(el('span',s.ready?'ready':'not ready',s.ready?'ok':'bad'),"
	"' — '+s.why+(s.generation!==undefined?' — generation '+s.generation+"
	"', master pid '+s.master_pid:''));\n"
	"const tb=document.querySelector('#workers tbody');const rows=[];\n"
	"for(const w of s.workers){const tr=el('tr');tr.className='worker';"
	"tr.dataset.pid=w.pid;\n"
	"const cells=[[w.number,'n'],[w.pid,'n'],[w.generation,'n'],[w.state],"
	"[w.phase===null?'(exec)':w.phase],[w.doing||''],[dur(w.phase_for_s"
	"!==undefined?w.phase_for_s:w.state_for_s),'n'],[w.requests===undefined"
	"?'':w.requests,'n'],[mem(w.rss_bytes),'n'],[w.restarts,'n'],"
	"[w.last_exit]];\n"
	"for(const c of cells)tr.append(el('td',c[0],c[1]));rows.push(tr)}\n"
	"tb.replaceChildren(...rows);\n"
	"document.getElementById('listeners').replaceChildren(...(s.listeners"
	"||[]).map(l=>el('li',l)));\n"
	"document.getElementById('results').replaceChildren(res('reload',"
	"s.last_reload),res('upgrade',s.last_upgrade))}\n"
	"async function tick(){try{const r=await fetch('status.json',"
	"{cache:'no-store'});draw(await r.json());"
	"document.getElementById('err').textContent=''}catch(e){"
	"document.getElementById('err').textContent='cannot reach herd: '+e}"
	"setTimeout(tick,2000)}\n"
	"tick();\n</script></body></html>\n";
