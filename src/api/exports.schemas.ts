import { Type, type Static } from '@sinclair/typebox';
import { EXPORT_FORMATS, EXPORT_STATUSES, MAX_EXPORT_RECORDING_IDS } from '../compliance/export/export.js';
import { RECORDING_STATUSES } from '../recordings/recording.js';
import { StringEnum } from './common.schemas.js';

const ExportFilterSchema = Type.Object(
  {
    recording_ids: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: MAX_EXPORT_RECORDING_IDS, description: 'Only these recordings' })),
    call_id: Type.Optional(Type.String({ maxLength: 256 })),
    status: Type.Optional(StringEnum(RECORDING_STATUSES)),
    source: Type.Optional(Type.String({ maxLength: 32, description: 'upload, automatic or on-demand' })),
    date_created_after: Type.Optional(Type.String({ format: 'date-time', description: 'Recordings created at or after this time' })),
    date_created_before: Type.Optional(Type.String({ format: 'date-time', description: 'Recordings created before this time' })),
  },
  { additionalProperties: false, description: 'Which recordings: all of the account\'s (created up to the export\'s creation) matching every given field' },
);

const IncludeSchema = Type.Object(
  {
    wav: Type.Boolean({ description: 'WAV files' }),
    mp3: Type.Boolean({ description: 'MP3 files' }),
    transcripts: Type.Boolean({ description: 'Transcript files, where the recording has one' }),
  },
  { description: 'What each recording folder holds besides metadata.json' },
);

/** An export bundle and its build progress. */
export const ExportSchema = Type.Object(
  {
    id: Type.String({ description: 'Unique identifier (EX...)' }),
    account_id: Type.String(),
    status: StringEnum(EXPORT_STATUSES, { description: 'queued, building, completed or failed' }),
    format: StringEnum(EXPORT_FORMATS, { description: 'tar (POSIX ustar) or zip' }),
    filter: ExportFilterSchema,
    include: IncludeSchema,
    total: Type.Integer({ description: 'Recordings matching the filter (known once building)' }),
    done: Type.Integer({ description: 'Recordings written into the bundle so far' }),
    bytes: Type.Integer({ description: 'Bundle bytes written so far; the bundle size once completed' }),
    error: Type.Optional(Type.String({ description: 'Why the build failed (or why it is being retried)' })),
    sha256: Type.Optional(Type.String({ description: 'SHA-256 of the whole bundle (hex), once completed' })),
    file_name: Type.String({ description: 'Name the bundle downloads as' }),
    download_url: Type.Optional(Type.String({ description: 'Signed, expiring URL of the bundle (no API key needed); once completed' })),
    download_expires_at: Type.Optional(Type.String({ format: 'date-time' })),
    date_created: Type.String({ format: 'date-time' }),
    date_started: Type.Optional(Type.String({ format: 'date-time' })),
    date_completed: Type.Optional(Type.String({ format: 'date-time' })),
    date_updated: Type.String({ format: 'date-time' }),
  },
  { $id: 'Export' },
);
export type ExportView = Static<typeof ExportSchema>;

export const CreateExportBody = Type.Object(
  {
    filter: Type.Optional(ExportFilterSchema),
    format: Type.Optional(StringEnum(EXPORT_FORMATS, { default: 'tar', description: 'tar (default) or zip' })),
    include: Type.Optional(
      Type.Object(
        {
          wav: Type.Optional(Type.Boolean({ default: true })),
          mp3: Type.Optional(Type.Boolean({ default: true })),
          transcripts: Type.Optional(Type.Boolean({ default: true })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ExportIdParams = Type.Object({ export_id: Type.String({ maxLength: 64 }) });

export const ListExportsQuery = Type.Object({
  status: Type.Optional(StringEnum(EXPORT_STATUSES)),
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

export const ExportListSchema = Type.Object({
  exports: Type.Array(Type.Ref(ExportSchema)),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
});

export const DownloadQuery = Type.Object({ expires: Type.String({ maxLength: 16 }), signature: Type.String({ maxLength: 128 }) });
