// The alert rules' summaries and descriptions, rendered by Go's text/template with the functions Grafana gives
// annotation templates: a user name is shown as code, so that Slack-style contact points render no markdown, link
// or mention put into it (by a web identity's subject, say); no value can close the code span or open a <!here>.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAlertRules } from './support';

const USER = '$labels.user';
/** How every annotation shows the user: as code, without what could end the span (`) or make a Slack link or mention (<>). */
const SHOWN = '`{{ reReplaceAll "[`<>]" "" $labels.user }}`';

const rules = loadAlertRules().map(({ rule }) => rule);
const annotations = rules.flatMap((rule) =>
  (['summary', 'description'] as const).map((key) => ({ rule: rule.title, key, text: String(rule.annotations[key]) }))
);

test('every annotation that names the user shows it as code, with nothing that could end the code span', () => {
  const naming = annotations.filter(({ text }) => text.includes(USER));
  expect(naming.length).toBeGreaterThan(20);
  for (const { rule, key, text } of naming) expect([rule, key, text.split(SHOWN).join('').includes(USER)]).toEqual([rule, key, false]);
});

// Grafana's annotation templates: Go's text/template, $labels and $values set first, Prometheus' reReplaceAll.
const RENDER = `package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"text/template"
)

func main() {
	var input struct {
		Labels    map[string]string
		Templates []string
	}
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		panic(err)
	}
	funcs := template.FuncMap{
		"reReplaceAll": func(pattern, repl, text string) string { return regexp.MustCompile(pattern).ReplaceAllString(text, repl) },
		// Grafana's root_url, which it always ends with a slash.
		"externalURL": func() string { return "https://grafana.example.com/sub/" },
	}
	data := map[string]interface{}{"Labels": input.Labels, "Values": map[string]float64{"B": 6}}
	out := []string{}
	for _, text := range input.Templates {
		t := template.Must(template.New("").Funcs(funcs).Parse("{{- $labels := .Labels -}}{{- $values := .Values -}}" + text))
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			panic(err)
		}
		out = append(out, b.String())
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`;

const haveGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
if (!haveGo) console.warn('alert template rendering SKIPPED: `go` is not installed (Debian: apt-get install golang-go)');

(haveGo ? test : test.skip)('rendered, a hostile user name is plain code; an ordinary one reads as before, in code; runbook links are whole URLs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-templates-'));
  try {
    fs.writeFileSync(path.join(dir, 'render.go'), RENDER);
    const render = (user: string, templates = annotations.map((a) => a.text)): string[] =>
      JSON.parse(
        execFileSync('go', ['run', path.join(dir, 'render.go')], {
          input: JSON.stringify({ Labels: { user, account: '111122223333' }, Templates: templates }),
          env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '', CGO_ENABLED: '0', GOCACHE: path.join(os.tmpdir(), 'trailhound-go-cache') },
        }).toString()
      );
    const hostile = render('*boss* `<!channel>` _x_ <https://evil.example.com|click>');
    const code = '`*boss* !channel _x_ https://evil.example.com|click`';
    for (const [i, text] of hostile.entries()) {
      const rest = text.split(code).join('');
      // The name only inside its code span: nothing of it outside, no other backtick or angle bracket.
      expect([annotations[i].rule, /[`<>]|boss|evil/.test(rest)]).toEqual([annotations[i].rule, false]);
    }
    const plain = render('alice');
    expect(plain[annotations.findIndex((a) => a.rule === rules[0].title && a.key === 'summary')]).toMatch(/^`alice` in account 111122223333: 6 /);
    // The runbook links: the user's own Grafana, under its root_url.
    const runbooks = render('alice', rules.map((rule) => String(rule.annotations.runbook_url)));
    const link = /^https:\/\/grafana\.example\.com\/sub\/d\/trailhound-alerts\/cloudtrail-alerts\?viewPanel=\d+$/;
    expect(runbooks).toEqual(rules.map(() => expect.stringMatching(link)));
    // The root rule names the root user whose calls they were: this account's own, or another's acting in it.
    const rootSummary = annotations.findIndex((a) => a.rule === 'Root account activity' && a.key === 'summary');
    expect(render('root')[rootSummary]).toBe('Root user `root` made 6 calls in account 111122223333');
    expect(render('root (account 444455556666)')[rootSummary]).toBe('Root user `root (account 444455556666)` made 6 calls in account 111122223333');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
