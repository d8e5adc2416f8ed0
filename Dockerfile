# The SageMaker image: `docker run IMAGE train` trains from /opt/ml/input into /opt/ml/model,
# `docker run IMAGE serve` answers /ping and /invocations on port 8080.
# Build: docker build -t latent .   (not built in CI: the CI machine has no Docker)

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin latent

FROM debian:bookworm-slim
# ca-certificates: HTTPS to S3 when a model or export lives there.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/latent /usr/local/bin/latent
# Logs go to the data folder; SageMaker keeps stdout/stderr in CloudWatch.
ENV LATENT_HOME=/tmp/latent
EXPOSE 8080
ENTRYPOINT ["latent", "sagemaker"]
