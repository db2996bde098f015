# One image for the API and the worker (production topology: temporal-docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
USER node
EXPOSE 3000
# The compose file picks the entry: `server.ts` (API) or `worker.ts` (Temporal worker).
CMD ["node_modules/.bin/tsx", "server.ts"]
