# syntax=docker/dockerfile:1
# One image, two processes: the API (default command) and the worker (docker-compose.yml sets
# `node dist/src/worker.js`). Build: docker build -t intake .

# Full Debian image for the build, in case a dependency has to compile from source.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# tsc into dist/, then the prebuilt workflow bundle (dist/workflow-bundle.js) the worker loads.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
# ffmpeg/ffprobe transcode and probe video and audio; perl runs the exiftool that
# exiftool-vendored bundles.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg perl \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Migrations are idempotent, so the API applies pending ones on every start; exec hands the
# process (and SIGTERM) to node.
CMD ["sh", "-c", "node dist/src/database/migrate.js && exec node dist/src/main.js"]
