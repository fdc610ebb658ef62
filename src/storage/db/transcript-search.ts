import { sql, type RawBuilder } from 'kysely';

/** Words of a search query (letters and digits), lower-cased; at most 16. */
export function searchTerms(q: string): string[] {
  return (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 16);
}

/** FTS5 query: every term, each quoted (so no term is read as an operator), all required. */
function ftsQuery(terms: string[]): string {
  return terms.map((t) => `"${t}"`).join(' ');
}

/**
 * SQL condition "this recording's transcript contains every word of q", for the
 * `recordings` table: FTS5 on SQLite, the tsvector column on PostgreSQL.
 */
export function transcriptMatches(postgres: boolean, q: string): RawBuilder<boolean> {
  const terms = searchTerms(q);
  if (terms.length === 0) return sql<boolean>`1 = 0`;
  if (postgres) return sql<boolean>`recordings.id IN (SELECT recording_id FROM transcripts WHERE search @@ to_tsquery('simple', ${terms.join(' & ')}))`;
  return sql<boolean>`recordings.id IN (SELECT recording_id FROM transcripts_fts WHERE transcripts_fts MATCH ${ftsQuery(terms)})`;
}

/** Highlight marks around matched words in snippets. */
export const SNIPPET_MARKS = ['<mark>', '</mark>'] as const;

/** SQL expression: a short excerpt of the transcript around the matched words, matches in <mark>. */
export function transcriptSnippet(postgres: boolean, q: string): RawBuilder<string | null> {
  const terms = searchTerms(q);
  if (terms.length === 0) return sql<null>`NULL`;
  if (postgres) {
    return sql<string>`(SELECT ts_headline('simple', t.text, to_tsquery('simple', ${terms.join(' & ')}), 'StartSel=<mark>, StopSel=</mark>, MaxWords=14, MinWords=5, MaxFragments=1, FragmentDelimiter=" … "') FROM transcripts t WHERE t.recording_id = recordings.id)`;
  }
  return sql<string>`(SELECT snippet(transcripts_fts, 1, '<mark>', '</mark>', '…', 12) FROM transcripts_fts WHERE transcripts_fts MATCH ${ftsQuery(terms)} AND recording_id = recordings.id)`;
}

/**
 * Select-list columns for a recording's transcript: `transcription_status` (or NULL) and
 * `transcription_redacted_audio` (1 when a redacted copy of the audio exists).
 */
export function transcriptionStatusColumn() {
  return [
    sql<string | null>`(SELECT status FROM transcripts WHERE transcripts.recording_id = recordings.id)`.as('transcription_status'),
    sql<number | null>`(SELECT 1 FROM transcripts WHERE transcripts.recording_id = recordings.id AND redacted_wav_key IS NOT NULL)`.as('transcription_redacted_audio'),
  ];
}
