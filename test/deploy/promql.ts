/**
 * Just enough of PromQL to find which metric names and label names a query uses: a lexer and a
 * walk over its tokens. Grafana variables ($service, ${service:regex}, $__rate_interval) are
 * accepted. The real Prometheus test (prometheus-scrape.test.ts) runs the same queries through a
 * real Prometheus, so a query this reads wrongly still has to parse there.
 */

export interface Selector {
  metric: string | undefined;
  /** Label names used in this selector's matchers. */
  labels: string[];
  /** Value of a __name__ matcher, when the selector has no metric name. */
  nameMatcher?: string;
}

export interface QueryNames {
  selectors: Selector[];
  /** Labels named in by / without / on / ignoring / group_left / group_right. */
  grouping: string[];
}

type Tok = { t: 'ident' | 'string' | 'number' | 'op' | 'punct'; v: string };

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan', 'Inf', 'NaN']);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);

/** Replaces Grafana's variables by values Prometheus accepts. */
export function substituteGrafana(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$\{__rate_interval\}|\$\{__interval\}/g, '5m')
    .replace(/\$__range|\$\{__range\}/g, '1h')
    .replace(/\$\{[A-Za-z0-9_]+(?::[a-z]+)?\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[A-Za-z0-9_]+\]\]/g, '.*');
}

function lex(input: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < input.length && input[i] !== '\n') i++;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < input.length && input[j] !== c) j += input[j] === '\\' && c !== '`' ? 2 : 1;
      out.push({ t: 'string', v: input.slice(i + 1, j) });
      i = j + 1;
    } else if (/[A-Za-z_:]/.test(c)) {
      let j = i;
      while (j < input.length && /[A-Za-z0-9_:]/.test(input[j])) j++;
      out.push({ t: 'ident', v: input.slice(i, j) });
      i = j;
    } else if (/[0-9.]/.test(c)) {
      let j = i;
      while (j < input.length && /[0-9.eE+xXa-fA-F_smhdwy]/.test(input[j]) && !(input[j] === '+' && !/[eE]/.test(input[j - 1]))) j++;
      out.push({ t: 'number', v: input.slice(i, j) });
      i = j;
    } else {
      const two = input.slice(i, i + 2);
      if (['==', '!=', '=~', '!~', '>=', '<='].includes(two)) {
        out.push({ t: 'op', v: two });
        i += 2;
      } else {
        out.push({ t: /[{}()[\],]/.test(c) ? 'punct' : 'op', v: c });
        i++;
      }
    }
  }
  return out;
}

export function namesIn(expr: string): QueryNames {
  const toks = lex(substituteGrafana(expr));
  const selectors: Selector[] = [];
  const grouping: string[] = [];
  let i = 0;
  const matchers = (sel: Selector) => {
    // toks[i] is '{'
    i++;
    while (i < toks.length && toks[i].v !== '}') {
      const tok = toks[i];
      if (tok.t === 'ident' && toks[i + 1]?.t === 'op') {
        if (tok.v === '__name__') sel.nameMatcher = toks[i + 2]?.v;
        else sel.labels.push(tok.v);
        i += 3;
      } else i++;
    }
    i++;
  };
  while (i < toks.length) {
    const tok = toks[i];
    const next = toks[i + 1];
    if (tok.t === 'punct' && tok.v === '{') {
      const sel: Selector = { metric: undefined, labels: [] };
      matchers(sel);
      selectors.push(sel);
      continue;
    }
    if (tok.t === 'punct' && tok.v === '[') {
      while (i < toks.length && toks[i].v !== ']') i++;
      i++;
      continue;
    }
    if (tok.t !== 'ident') {
      i++;
      continue;
    }
    if (GROUPING.has(tok.v)) {
      i++;
      if (toks[i]?.v === '(') {
        i++;
        while (i < toks.length && toks[i].v !== ')') {
          if (toks[i].t === 'ident') grouping.push(toks[i].v);
          i++;
        }
        i++;
      }
      continue;
    }
    if (KEYWORDS.has(tok.v) || next?.v === '(' || (AGGREGATIONS.has(tok.v) && next && GROUPING.has(next.v))) {
      i++;
      continue;
    }
    const sel: Selector = { metric: tok.v, labels: [] };
    i++;
    if (toks[i]?.v === '{') matchers(sel);
    selectors.push(sel);
  }
  return { selectors, grouping };
}
