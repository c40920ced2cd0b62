// Bench data: a wide table of 1,000,000 x scale rows (uuid, text, text[], jsonb, numeric, timestamptz,
// plus a secondary index) and a 500,000 x scale row table with a foreign key into it.

export function generateSql(scale: number): string {
  const wide = Math.max(1, Math.round(1_000_000 * scale));
  const items = Math.max(1, Math.round(500_000 * scale));
  return `
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE public.documents (
  id uuid PRIMARY KEY,
  title text NOT NULL,
  body text,
  tags text[],
  meta jsonb,
  score numeric(12, 4),
  created_at timestamptz NOT NULL
);
INSERT INTO public.documents
SELECT md5('d' || g)::uuid,
       'Document number ' || g,
       repeat(md5(g::text), 2 + g % 4),
       ARRAY['tag' || (g % 13), 'group' || (g % 101), 'k' || (g % 7)],
       jsonb_build_object('n', g, 'owner', md5((g % 997)::text), 'flags', jsonb_build_array(g % 2 = 0, g % 3 = 0), 'ratio', g / 7.0),
       (g * 1.2345)::numeric(12, 4),
       timestamptz '2023-01-01 00:00:00+00' + g * interval '17 seconds'
  FROM generate_series(1, ${wide}) g;
CREATE INDEX documents_created_idx ON public.documents (created_at);
CREATE TABLE public.chunks (
  id bigserial PRIMARY KEY,
  document_id uuid NOT NULL REFERENCES public.documents (id),
  position integer NOT NULL,
  content text NOT NULL,
  tokens integer
);
INSERT INTO public.chunks (document_id, position, content, tokens)
SELECT md5('d' || (1 + (g::bigint * 7919) % ${wide}))::uuid, g % 50, 'chunk ' || g || ' ' || md5(g::text), 100 + g % 400
  FROM generate_series(1, ${items}) g;
ANALYZE;
`;
}
