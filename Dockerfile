# One image for the API and the worker (production topology: temporal-docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The worker's workflow code, bundled here from the sources this image ships (README "Production
# topology", project rule): a worker given WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js polls
# within seconds instead of bundling at every start (15–22 s), and refuses the bundle if any source
# listed in its manifest (dist/workflow-bundle.js.sources.json) differs from the image's.
RUN node_modules/.bin/tsx scripts/bundle-workflows.ts dist/workflow-bundle.js
USER node
EXPOSE 3000
# The compose file picks the entry: `server.ts` (API) or `worker.ts` (Temporal worker).
CMD ["node_modules/.bin/tsx", "server.ts"]
