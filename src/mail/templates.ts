import nunjucks from 'nunjucks';

/** Renders mail from views/mail/<name>.txt.njk (and .html.njk when present). */
export interface MailTemplates {
  render(name: string, context: Record<string, unknown>): { text: string; html?: string };
}

export function createMailTemplates(viewsDir: string): MailTemplates {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(viewsDir, { noCache: false }), { autoescape: true, throwOnUndefined: true });
  const textEnv = new nunjucks.Environment(new nunjucks.FileSystemLoader(viewsDir, { noCache: false }), { autoescape: false, throwOnUndefined: true });
  return {
    render(name, context) {
      const text = textEnv.render(`mail/${name}.txt.njk`, context).trim() + '\n';
      let html: string | undefined;
      try {
        html = env.render(`mail/${name}.html.njk`, context);
      } catch (err) {
        if (!/template not found/i.test((err as Error).message)) throw err;
      }
      return { text, html };
    },
  };
}
