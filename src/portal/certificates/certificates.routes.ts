import type { Context } from 'koa';
import type { ConnectionCertificate } from '../../db/schema.ts';
import { MetadataError } from '../../sso/saml/idp-metadata.ts';
import { listCertificates } from '../../sso/connections.service.ts';
import { MAX_METADATA_BYTES } from '../../sso/saml/xml-safety.ts';
import { daysUntil, formatDate } from '../portal-format.ts';
import { portalCall, portalOf, portalView, type PortalRouter } from '../portal.router.ts';
import { certificatesFromInput, connectionCertificate, removeCertificate, renewableConnection, renewableConnections, trustCertificates } from './renewal.service.ts';
import { filesOf, uploadBody } from './upload-body.ts';

/** Certificates nearer their end than this are flagged (the monitor's first warning is at 30 days). */
const SOON_DAYS = 30;

function certificateView(c: ConnectionCertificate, now: Date) {
  const days = daysUntil(c.not_after, now);
  const expired = now.getTime() > Date.parse(c.not_after);
  const chip = expired
    ? { tone: 'danger', label: `Expired on ${formatDate(c.not_after)}` }
    : days <= SOON_DAYS
      ? { tone: 'warning', label: days < 1 ? 'Expires today' : `Expires in ${days} day${days === 1 ? '' : 's'}` }
      : { tone: 'success', label: `Valid until ${formatDate(c.not_after)}` };
  return {
    id: c.id,
    subject: c.subject,
    fingerprint: c.fingerprint_sha256,
    not_before: formatDate(c.not_before),
    not_after: formatDate(c.not_after),
    source: c.source === 'metadata' ? 'From the IdP metadata' : 'Added by hand',
    chip,
  };
}

/** What the page says about one connection after a redirect (?added=, ?unchanged=, ?removed=) or a refused upload. */
type Notice = { connectionId: string; kind: 'added' | 'unchanged' | 'removed' | 'error'; message?: string };

/**
 * The `certificate_renewal` intent (/portal/certificates): each active SAML connection's signing
 * certificates with their expiry, a new certificate (file or paste: metadata or PEM) trusted alongside the
 * old ones, and the old one removed once the IdP signs with the new one (confirm step; never the last).
 */
export function registerCertificatePages({ router, requirePortal, deps }: PortalRouter): void {
  const { db, uow, pages } = deps;
  const clock = deps.ctx.clock;
  const guard = requirePortal('certificate_renewal');

  async function show(ctx: Context, notice?: Notice, status = 200) {
    const now = clock.now();
    const connections = await Promise.all((await renewableConnections(db, portalOf(ctx).organization_id)).map(async (c) => {
      const certificates = (await listCertificates(db, c.id)).map((cert) => certificateView(cert, now));
      return {
        id: c.id,
        name: c.name,
        idp_entity_id: c.saml_idp_entity_id,
        metadata_url: c.saml_metadata_url,
        certificates,
        needs_renewal: certificates.every((cert) => cert.chip.tone !== 'success'),
        notice: notice?.connectionId === c.id ? notice : null,
      };
    }));
    pages.render(ctx, 'portal/certificates/index.njk', { ...portalView(ctx), connections }, status);
  }

  router.get('/portal/certificates', guard, (ctx) => {
    const q = ctx.query;
    const pick = (['added', 'unchanged', 'removed'] as const).find((k) => typeof q[k] === 'string');
    return show(ctx, pick ? { connectionId: String(q[pick]), kind: pick } : undefined);
  });

  // Metadata of several MB (a federation aggregate) is bounded like a download of it.
  router.post('/portal/certificates/:id', guard, uploadBody(MAX_METADATA_BYTES + 64 * 1024), pages.verifyCsrf, async (ctx) => {
    const orgId = portalOf(ctx).organization_id;
    const connection = await renewableConnection(db, orgId, ctx.params.id!);
    const file = filesOf(ctx).upload;
    const pasted = String((ctx.request.body as Record<string, unknown>).pasted ?? '');
    let added: number;
    try {
      // Read (and refused) before the transaction: parsing is CPU work on untrusted input.
      const certificates = certificatesFromInput(file ? { bytes: file } : { text: pasted }, connection, clock.now());
      added = await uow(async (trx) => trustCertificates(trx, portalCall(ctx, deps.ctx), await renewableConnection(trx, orgId, connection.id), certificates));
    } catch (err) {
      if (!(err instanceof MetadataError)) throw err;
      return show(ctx, { connectionId: connection.id, kind: 'error', message: err.message }, err.status);
    }
    ctx.status = 303;
    ctx.redirect(`/portal/certificates?${added ? 'added' : 'unchanged'}=${connection.id}#${connection.id}`);
  });

  router.get('/portal/certificates/:id/certificates/:certificateId/remove', guard, async (ctx) => {
    const connection = await renewableConnection(db, portalOf(ctx).organization_id, ctx.params.id!);
    const { certificate, all } = await connectionCertificate(db, connection, ctx.params.certificateId!);
    pages.render(ctx, 'portal/certificates/remove.njk', {
      ...portalView(ctx),
      connection: { id: connection.id, name: connection.name },
      certificate: certificateView(certificate, clock.now()),
      last: all.length <= 1,
    });
  });

  router.post('/portal/certificates/:id/certificates/:certificateId/remove', guard, pages.formBody, pages.verifyCsrf, async (ctx) => {
    const orgId = portalOf(ctx).organization_id;
    const id = ctx.params.id!;
    await uow(async (trx) => removeCertificate(trx, portalCall(ctx, deps.ctx), await renewableConnection(trx, orgId, id), ctx.params.certificateId!));
    ctx.status = 303;
    ctx.redirect(`/portal/certificates?removed=${id}#${id}`);
  });
}
